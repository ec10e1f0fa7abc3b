import { afterAll, describe, expect, it } from "bun:test";
import { renderComponent, setUpSolidDom } from "../../test-support/solid-dom.ts";
import { readDashboardState, type SearchPatch } from "../lib/dashboard-state.ts";

const dom = await setUpSolidDom();
const { PeriodPicker } = await import("./period-picker.tsx");
afterAll(() => dom.tearDown());

function setUp(search: Record<string, string> = {}) {
  const patches: SearchPatch[] = [];
  const state = readDashboardState(search, "Europe/Paris");
  return { patches, state, onChange: (patch: SearchPatch) => patches.push(patch) };
}

const field = (container: HTMLElement, label: string) => {
  const labelElement = [...container.querySelectorAll("label")].find((l) => l.textContent?.trim() === label);
  if (!labelElement) throw new Error(`no field labelled ${label}`);
  const control = container.querySelector<HTMLInputElement | HTMLSelectElement>(`#${CSS.escape(labelElement.htmlFor)}`);
  if (!control) throw new Error(`label ${label} points at nothing`);
  return control;
};

const change = (control: HTMLInputElement | HTMLSelectElement, value: string, type: "change" | "input" = "change") => {
  control.value = value;
  control.dispatchEvent(new Event(type, { bubbles: true }));
};

describe("PeriodPicker", () => {
  it("shows the period from the URL", async () => {
    const { state, onChange } = setUp({ period: "30d" });
    const view = await renderComponent(PeriodPicker, { state, onChange });
    expect((field(view.container, "Period") as HTMLSelectElement).value).toBe("30d");
    expect(view.container.querySelector('input[type="date"]')).toBeNull();
    view.dispose();
  });

  it("applies a preset at once", async () => {
    const { state, onChange, patches } = setUp();
    const view = await renderComponent(PeriodPicker, { state, onChange });
    change(field(view.container, "Period"), "24h");
    expect(patches).toEqual([{ period: "24h", from: null, to: null }]);
    view.dispose();
  });

  it("asks for dates before applying a custom range", async () => {
    const { state, onChange, patches } = setUp();
    const view = await renderComponent(PeriodPicker, { state, onChange });
    change(field(view.container, "Period"), "custom");
    expect(patches).toEqual([]);
    change(field(view.container, "From") as HTMLInputElement, "2026-11-10", "input");
    change(field(view.container, "To") as HTMLInputElement, "2026-11-03", "input");
    view.container
      .querySelector<HTMLFormElement>('form[aria-label="Custom range"]')!
      .dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    expect(patches).toEqual([{ period: "custom", from: "2026-11-03", to: "2026-11-10" }]);
    view.dispose();
  });

  it("shows the custom range kept in the URL", async () => {
    const { state, onChange } = setUp({ period: "custom", from: "2026-11-01", to: "2026-11-07" });
    const view = await renderComponent(PeriodPicker, { state, onChange });
    expect((field(view.container, "Period") as HTMLSelectElement).value).toBe("custom");
    expect((field(view.container, "From") as HTMLInputElement).value).toBe("2026-11-01");
    expect((field(view.container, "To") as HTMLInputElement).value).toBe("2026-11-07");
    view.dispose();
  });

  it("narrows the timezone list to the zones matching the search, keeping the chosen one", async () => {
    const { state, onChange } = setUp();
    const view = await renderComponent(PeriodPicker, { state, onChange });
    const zone = field(view.container, "Timezone") as HTMLSelectElement;
    const all = zone.options.length;
    const search = view.container.querySelector<HTMLInputElement>('input[aria-label="Search timezones"]')!;
    change(search, "new york", "input");
    const shown = [...zone.options].map((option) => option.value);
    expect(shown).toContain("America/New_York");
    expect(shown).toContain("Europe/Paris");
    expect(shown.length).toBeLessThan(all);
    expect(shown.length).toBeLessThan(5);
    view.dispose();
  });

  it("writes another timezone to the URL", async () => {
    const { state, onChange, patches } = setUp();
    const view = await renderComponent(PeriodPicker, { state, onChange });
    const zone = field(view.container, "Timezone") as HTMLSelectElement;
    expect(zone.value).toBe("Europe/Paris");
    change(zone, "Asia/Kolkata");
    expect(patches).toEqual([{ tz: "Asia/Kolkata" }]);
    view.dispose();
  });
});
