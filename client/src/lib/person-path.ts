/** Where a person's page lives, and how its id is read back from the address (ids may hold any character). */

/** The person page of `distinctId` (any of the person's ids: the page shows the person). */
export function personPath(projectId: string, distinctId: string): string {
  return `/projects/${projectId}/people/${encodeURIComponent(distinctId)}`;
}

/** The id in a person page's path segment: the router hands the segment over still percent-encoded. */
export function readPersonParam(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // A hand-typed malformed escape: the id as written (the server answers NOT_FOUND when nobody has it).
    return segment;
  }
}
