/** How a trait's value reads on the People and person pages: text as it is, anything else as compact JSON. */
export function describeTrait(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null) return "null";
  return JSON.stringify(value);
}
