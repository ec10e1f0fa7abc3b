/**
 * The refresh-once rule of the tRPC client against a fake server (fetch): an expired access token is refreshed once
 * for every call that failed meanwhile (and not at all while another tab holds the refresh lock), the calls are
 * replayed, and a refresh that fails marks the UI signed out.
 * Loads solid-js's browser build first (auth-state holds a signal), like the component tests.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from "bun:test";
import { setUpSolidDom } from "../../test-support/solid-dom.ts";

const dom = await setUpSolidDom();
const { trpc } = await import("./trpc.ts");
const authState = await import("./auth-state.ts");
const { REFRESH_LOCK_NAME } = await import("./refresh-across-tabs.ts");
const { fakeLocks } = await import("../../test-support/fake-locks.ts");

type FakeServer = { tokenValid: boolean; refreshWorks: boolean; refreshCalls: number; calls: string[] };
let server: FakeServer;
const realFetch = globalThis.fetch;

const unauthorized = (message: string) => ({
  error: { message, code: -32001, data: { code: "UNAUTHORIZED", httpStatus: 401, path: null } },
});

function fakeFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = new URL(
    typeof input === "string" ? input : input instanceof URL ? input.href : input.url,
    "http://localhost",
  );
  const paths = decodeURIComponent(url.pathname.replace("/api/trpc/", "")).split(",");
  const batched = url.searchParams.get("batch") === "1";
  server.calls.push(...paths);
  if (paths[0] === "auth.refresh") {
    server.refreshCalls += 1;
    expect(init?.method).toBe("POST");
    expect(batched).toBe(false);
    return new Promise((resolve) =>
      setTimeout(() => {
        if (!server.refreshWorks) return resolve(Response.json(unauthorized("Session ended."), { status: 401 }));
        server.tokenValid = true;
        resolve(Response.json({ result: { data: { ok: true } } }));
      }, 30),
    );
  }
  const items = paths.map((path) =>
    path === "auth.login"
      ? unauthorized("Incorrect email or password.")
      : server.tokenValid
        ? { result: { data: { path } } }
        : unauthorized("Sign in to continue."),
  );
  const status = items.every((item) => "error" in item) ? 401 : 200;
  return Promise.resolve(Response.json(batched ? items : items[0], { status }));
}

beforeEach(() => {
  server = { tokenValid: false, refreshWorks: true, refreshCalls: 0, calls: [] };
  globalThis.fetch = fakeFetch as typeof fetch;
  authState.markSignedIn();
});
afterEach(() => {
  globalThis.fetch = realFetch;
});
afterAll(() => dom.tearDown());

describe("trpc client", () => {
  it("refreshes once for concurrent calls with an expired token and replays them", async () => {
    const results = await Promise.all([
      trpc.projects.list.query(),
      trpc.auth.me.query(),
      trpc.projects.get.query({ id: "5a1c55e4-3f7a-4c2e-9a43-f6f3d1b1c001" }),
    ]);
    expect(results).toHaveLength(3);
    expect(server.refreshCalls).toBe(1);
    expect(authState.signedIn()).toBe(true);
  });

  it("waits for another tab's refresh instead of presenting the refresh token again", async () => {
    const locks = fakeLocks();
    Object.defineProperty(navigator, "locks", { value: locks, configurable: true });
    try {
      // The other tab holds the lock while its refresh is under way; the cookie it gets is this tab's too.
      const otherTab = locks.request(REFRESH_LOCK_NAME, async () => {
        await Bun.sleep(50);
        server.tokenValid = true;
      });
      const results = await Promise.all([trpc.projects.list.query(), trpc.auth.me.query()]);
      await otherTab;
      expect(results).toHaveLength(2);
      expect(server.refreshCalls).toBe(0);
      expect(authState.signedIn()).toBe(true);
    } finally {
      Reflect.deleteProperty(navigator, "locks");
    }
  });

  it("refreshes under the lock when no other tab holds it", async () => {
    Object.defineProperty(navigator, "locks", { value: fakeLocks(), configurable: true });
    try {
      await trpc.projects.list.query();
      expect(server.refreshCalls).toBe(1);
    } finally {
      Reflect.deleteProperty(navigator, "locks");
    }
  });

  it("signs the UI out when the refresh fails", async () => {
    server.refreshWorks = false;
    await expect(trpc.projects.list.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
    expect(server.refreshCalls).toBe(1);
    expect(authState.signedIn()).toBe(false);
  });

  it("does not refresh for a failed sign-in", async () => {
    await expect(trpc.auth.login.mutate({ email: "a@example.com", password: "nope" })).rejects.toMatchObject({
      message: "Incorrect email or password.",
    });
    expect(server.refreshCalls).toBe(0);
    expect(authState.signedIn()).toBe(true);
  });
});

describe("readLoggedInCookie", () => {
  it("reads the script-visible logged_in cookie among others", () => {
    expect(authState.readLoggedInCookie("theme=dark; logged_in=1; other=x")).toBe(true);
    expect(authState.readLoggedInCookie("theme=dark")).toBe(false);
    expect(authState.readLoggedInCookie("logged_in=; theme=dark")).toBe(false);
    expect(authState.readLoggedInCookie("not_logged_in=1")).toBe(false);
  });
});
