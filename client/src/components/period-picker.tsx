/**
 * The dashboard's period, its "Compare to" period and the timezone. Presets (Today and Yesterday in the dashboard's
 * timezone, then the rolling periods) apply at once; "Custom range" and "Compare to" open two date fields applied
 * with a button (so half-typed dates never reach the URL). Everything is written to the URL by the caller through
 * `onChange`.
 */
import { createMemo, createSignal, createUniqueId, For, Show } from "solid-js";
import {
  clearComparePatch,
  comparePatch,
  customRangePatch,
  DAY_PRESETS,
  type DashboardState,
  type DayPreset,
  daysBefore,
  PRESET_PERIODS,
  type PresetPeriod,
  presetPatch,
  type SearchPatch,
  timezonePatch,
  todayIn,
  viewerTimeZone,
} from "../lib/dashboard-state.ts";

/**
 * The zones to offer: the viewer's, UTC, the current one, then every zone the browser knows (about 400) whose name
 * holds the search text (case and "_" versus space ignored). The current zone always stays, so the select keeps
 * showing what is chosen while the list is narrowed.
 */
export function timeZoneOptions(current: string, search = ""): string[] {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const all = [...new Set([viewerTimeZone(), "UTC", current, ...zones])];
  const needle = search.trim().toLowerCase().replaceAll("_", " ");
  if (!needle) return all;
  return all.filter((zone) => zone === current || zone.toLowerCase().replaceAll("_", " ").includes(needle));
}

export function PeriodPicker(props: { state: DashboardState; onChange: (patch: SearchPatch) => void }) {
  const id = createUniqueId();
  const [editingCustom, setEditingCustom] = createSignal(false);
  const today = () => todayIn(props.state.timezone);
  const [from, setFrom] = createSignal("");
  const [to, setTo] = createSignal("");
  const [rangeError, setRangeError] = createSignal("");
  const [zoneSearch, setZoneSearch] = createSignal("");
  const zones = createMemo(() => timeZoneOptions(props.state.timezone, zoneSearch()));
  const showCustom = () => editingCustom() || props.state.period === "custom";

  const startCustom = () => {
    setFrom(props.state.from ?? daysBefore(today(), 6));
    setTo(props.state.to ?? today());
    setRangeError("");
    setEditingCustom(true);
  };

  const applyCustom = (event: SubmitEvent) => {
    event.preventDefault();
    const patch = customRangePatch(from(), to());
    if (!patch) {
      setRangeError("Enter both dates.");
      return;
    }
    setRangeError("");
    setEditingCustom(false);
    props.onChange(patch);
  };

  return (
    <div class="flex flex-wrap items-end gap-2">
      <div>
        <label for={`${id}-period`} class="field-label text-xs">
          Period
        </label>
        <select
          id={`${id}-period`}
          class="field-input py-1.5"
          value={showCustom() ? "custom" : props.state.period}
          onChange={(event) => {
            const value = event.currentTarget.value;
            if (value === "custom") startCustom();
            else {
              setEditingCustom(false);
              props.onChange(presetPatch(value as PresetPeriod | DayPreset));
            }
          }}
        >
          <For each={DAY_PRESETS}>{(preset) => <option value={preset.value}>{preset.label}</option>}</For>
          <For each={PRESET_PERIODS}>{(preset) => <option value={preset.value}>{preset.label}</option>}</For>
          <option value="custom">Custom range</option>
        </select>
      </div>
      <Show when={showCustom()}>
        <form class="flex flex-wrap items-end gap-2" onSubmit={applyCustom} aria-label="Custom range">
          <div>
            <label for={`${id}-from`} class="field-label text-xs">
              From
            </label>
            <input
              id={`${id}-from`}
              type="date"
              class="field-input py-1.5"
              max={today()}
              value={editingCustom() ? from() : (props.state.from ?? "")}
              onFocus={() => !editingCustom() && startCustom()}
              onInput={(event) => setFrom(event.currentTarget.value)}
              required
            />
          </div>
          <div>
            <label for={`${id}-to`} class="field-label text-xs">
              To
            </label>
            <input
              id={`${id}-to`}
              type="date"
              class="field-input py-1.5"
              max={today()}
              value={editingCustom() ? to() : (props.state.to ?? "")}
              onFocus={() => !editingCustom() && startCustom()}
              onInput={(event) => setTo(event.currentTarget.value)}
              required
            />
          </div>
          <Show when={editingCustom()}>
            <button type="submit" class="btn-primary py-1.5">
              Apply
            </button>
          </Show>
          <Show when={rangeError()}>
            <p role="alert" class="w-full text-xs text-red-600 dark:text-red-400">
              {rangeError()}
            </p>
          </Show>
        </form>
      </Show>
      <ComparePicker state={props.state} onChange={props.onChange} />
      <div>
        <label for={`${id}-tz`} class="field-label text-xs">
          Timezone
        </label>
        <input
          type="search"
          class="field-input mb-1 max-w-52 py-1 text-xs"
          placeholder="Search timezones"
          aria-label="Search timezones"
          value={zoneSearch()}
          onInput={(event) => setZoneSearch(event.currentTarget.value)}
        />
        <select
          id={`${id}-tz`}
          class="field-input max-w-52 py-1.5"
          value={props.state.timezone}
          onChange={(event) => props.onChange(timezonePatch(event.currentTarget.value))}
        >
          <For each={zones()}>{(zone) => <option value={zone}>{zone.replaceAll("_", " ")}</option>}</For>
        </select>
      </div>
    </div>
  );
}

/**
 * "Compare to": off, the metrics compare with the period just before; on, with the chosen days (both ends
 * inclusive, in the dashboard's timezone).
 */
function ComparePicker(props: { state: DashboardState; onChange: (patch: SearchPatch) => void }) {
  const id = createUniqueId();
  const today = () => todayIn(props.state.timezone);
  const [editing, setEditing] = createSignal(false);
  const [from, setFrom] = createSignal("");
  const [to, setTo] = createSignal("");
  const [error, setError] = createSignal("");
  const chosen = () => props.state.compareFrom !== null && props.state.compareTo !== null;
  const open = () => editing() || chosen();
  const start = () => {
    setFrom(props.state.compareFrom ?? daysBefore(today(), 13));
    setTo(props.state.compareTo ?? daysBefore(today(), 7));
    setError("");
    setEditing(true);
  };
  const apply = (event: SubmitEvent) => {
    event.preventDefault();
    const patch = comparePatch(from(), to());
    if (!patch) {
      setError("Enter both dates.");
      return;
    }
    setEditing(false);
    props.onChange(patch);
  };
  return (
    <div class="flex flex-wrap items-end gap-2">
      <label class="flex items-center gap-1.5 pb-2 text-xs">
        <input
          type="checkbox"
          checked={open()}
          onChange={(event) => {
            if (event.currentTarget.checked) start();
            else {
              setEditing(false);
              if (chosen()) props.onChange(clearComparePatch());
            }
          }}
        />
        Compare to
      </label>
      <Show when={open()}>
        <form class="flex flex-wrap items-end gap-2" onSubmit={apply} aria-label="Comparison period">
          <div>
            <label for={`${id}-cfrom`} class="field-label text-xs">
              Compare from
            </label>
            <input
              id={`${id}-cfrom`}
              type="date"
              class="field-input py-1.5"
              max={today()}
              value={editing() ? from() : (props.state.compareFrom ?? "")}
              onFocus={() => !editing() && start()}
              onInput={(event) => setFrom(event.currentTarget.value)}
              required
            />
          </div>
          <div>
            <label for={`${id}-cto`} class="field-label text-xs">
              Compare until
            </label>
            <input
              id={`${id}-cto`}
              type="date"
              class="field-input py-1.5"
              max={today()}
              value={editing() ? to() : (props.state.compareTo ?? "")}
              onFocus={() => !editing() && start()}
              onInput={(event) => setTo(event.currentTarget.value)}
              required
            />
          </div>
          <Show when={editing()}>
            <button type="submit" class="btn-primary py-1.5">
              Compare
            </button>
          </Show>
          <Show when={error()}>
            <p role="alert" class="w-full text-xs text-red-600 dark:text-red-400">
              {error()}
            </p>
          </Show>
        </form>
      </Show>
    </div>
  );
}
