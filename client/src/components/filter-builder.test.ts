import { afterAll, describe, expect, it } from "bun:test";
import { renderComponent, setUpSolidDom } from "../../test-support/solid-dom.ts";
import type { Filter } from "../lib/dashboard-state.ts";

const dom = await setUpSolidDom();
const { FilterBuilder } = await import("./filter-builder.tsx");
afterAll(() => dom.tearDown());

const field = (container: HTMLElement, label: string) => {
  const labelElement = [...container.querySelectorAll("label")].find((l) => l.textContent?.trim() === label);
  if (!labelElement) return null;
  return container.querySelector<HTMLInputElement | HTMLSelectElement>(`#${CSS.escape(labelElement.htmlFor)}`);
};

const change = (control: HTMLInputElement | HTMLSelectElement | null, value: string, type = "change") => {
  if (!control) throw new Error("no such field");
  control.value = value;
  control.dispatchEvent(new Event(type, { bubbles: true }));
};

async function open() {
  const added: Filter[] = [];
  const view = await renderComponent(FilterBuilder, { onAdd: (filter: Filter) => added.push(filter) });
  const button = [...view.container.querySelectorAll("button")].find((b) => b.textContent === "Add filter")!;
  button.click();
  const submit = () =>
    view.container
      .querySelector<HTMLFormElement>('form[aria-label="Add a filter"]')!
      .dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
  return { view, added, submit };
}

describe("FilterBuilder", () => {
  it("offers every op, in the dashboard's words", async () => {
    const { view } = await open();
    const options = [...(field(view.container, "Condition") as HTMLSelectElement).options].map((o) => o.text);
    expect(options).toEqual(["is", "is not", "contains", "does not contain", "is set", "is not set", "is one of"]);
    view.dispose();
  });

  it("asks for no value for is set, and adds it", async () => {
    const { view, added, submit } = await open();
    change(field(view.container, "Dimension"), "browser");
    change(field(view.container, "Condition"), "is_set");
    expect(field(view.container, "Value")).toBeNull();
    submit();
    expect(added).toEqual([{ dimension: "browser", op: "is_set" }]);
    view.dispose();
  });

  it("takes a comma-separated list for is one of, and a value for does not contain on a property", async () => {
    const { view, added, submit } = await open();
    change(field(view.container, "Condition"), "in");
    change(field(view.container, "Values"), "/a, /b", "input");
    submit();
    expect(added).toEqual([{ dimension: "path", op: "in", values: ["/a", "/b"] }]);
    view.dispose();
    const second = await open();
    change(field(second.view.container, "Dimension"), "property");
    change(field(second.view.container, "Property key"), "plan", "input");
    change(field(second.view.container, "Condition"), "not_contains");
    change(field(second.view.container, "Value"), "free", "input");
    second.submit();
    expect(second.added).toEqual([{ dimension: "property:plan", op: "not_contains", value: "free" }]);
    second.view.dispose();
  });

  it("refuses an empty value with a message instead of adding a filter", async () => {
    const { view, added, submit } = await open();
    submit();
    expect(added).toEqual([]);
    expect(view.container.querySelector('[role="alert"]')?.textContent).toContain("Enter a value");
    view.dispose();
  });
});
