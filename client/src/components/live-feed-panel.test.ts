import { afterAll, describe, expect, it } from "bun:test";
import { renderComponent, setUpSolidDom } from "../../test-support/solid-dom.ts";
import type { LiveEvent, LiveStatus } from "../lib/live-feed.ts";

const dom = await setUpSolidDom();
const { createSignal } = await import("solid-js");
const { LiveFeedPanel } = await import("./live-feed-panel.tsx");
afterAll(() => dom.tearDown());

function fakeFeed(status: LiveStatus, events: LiveEvent[] = []) {
  const [getStatus, setStatus] = createSignal<LiveStatus>(status);
  const [getEvents, setEvents] = createSignal<readonly LiveEvent[]>(events);
  let reconnects = 0;
  return {
    handle: { status: getStatus, events: getEvents, reconnect: () => (reconnects += 1), clear: () => setEvents([]) },
    setStatus,
    setEvents,
    reconnects: () => reconnects,
  };
}

const event = (name: string, pageUrl: string | null = null): LiveEvent => ({
  key: `k-${name}`,
  insertId: `i-${name}`,
  event: name,
  distinctId: null,
  sessionId: "s1",
  pageUrl,
  timestamp: "2026-11-26T10:15:30Z",
  properties: {},
});

describe("LiveFeedPanel", () => {
  it("renders tracked names and URLs as text, never as HTML", async () => {
    const feed = fakeFeed({ state: "open" }, [
      event('<img src=x onerror="alert(1)">', "https://a.example/<b>bold</b>"),
    ]);
    const view = await renderComponent(LiveFeedPanel, { feed: feed.handle, timezone: "UTC" });
    expect(view.container.querySelector("img")).toBeNull();
    expect(view.container.querySelector("b")).toBeNull();
    expect(view.container.textContent).toContain('<img src=x onerror="alert(1)">');
    view.dispose();
  });

  it("shows new events at the top as they arrive", async () => {
    const feed = fakeFeed({ state: "open" });
    const view = await renderComponent(LiveFeedPanel, { feed: feed.handle, timezone: "UTC" });
    expect(view.container.textContent).toContain("Waiting for events");
    feed.setEvents([event("signup", "https://a.example/pricing?x=1"), event("page_view")]);
    const items = [...view.container.querySelectorAll('[data-testid="live-feed"] li')];
    expect(items.map((li) => li.querySelector("p")?.textContent)).toEqual(["signup", "page_view"]);
    expect(items[0]!.textContent).toContain("/pricing?x=1");
    expect(items[0]!.textContent).toContain("10:15:30");
    view.dispose();
  });

  it("says when it will retry", async () => {
    const feed = fakeFeed({ state: "waiting", attempt: 3, retryInMs: 4000, reason: "dropped" });
    const view = await renderComponent(LiveFeedPanel, { feed: feed.handle, timezone: "UTC" });
    expect(view.container.querySelector('[role="status"]')?.textContent).toContain("Reconnecting in 4 s (try 3 of 10)");
    view.dispose();
  });

  it("offers a reconnect button once it gave up", async () => {
    const feed = fakeFeed({ state: "open" });
    const view = await renderComponent(LiveFeedPanel, { feed: feed.handle, timezone: "UTC" });
    expect(view.container.querySelector("button")).toBeNull();
    feed.setStatus({ state: "offline", reason: "gone" });
    const button = [...view.container.querySelectorAll("button")].find((b) => b.textContent === "Reconnect");
    expect(button).toBeDefined();
    button!.click();
    expect(feed.reconnects()).toBe(1);
    view.dispose();
  });
});
