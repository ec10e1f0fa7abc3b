import { afterAll, describe, expect, it } from "bun:test";
import { renderComponent, setUpSolidDom } from "../../test-support/solid-dom.ts";

const dom = await setUpSolidDom();
const { createSignal } = await import("solid-js");
const { QueryBoundary } = await import("./query-boundary.tsx");
afterAll(() => dom.tearDown());

type FakeQuery<T> = {
  data: T | undefined;
  error: unknown;
  isError: boolean;
  isPending: boolean;
  isFetching: boolean;
  refetch: () => Promise<unknown>;
};

/** A query whose state a test can change, shaped like solid-query's reactive result. */
function fakeQuery<T>(initial: Partial<FakeQuery<T>>) {
  const [state, setState] = createSignal<FakeQuery<T>>({
    data: undefined,
    error: null,
    isError: false,
    isPending: true,
    isFetching: true,
    // solid-query's refetch resolves with the new state, errors included; it never rejects by default.
    refetch: () => Promise.resolve(undefined),
    ...initial,
  });
  const query = {
    get data() {
      return state().data;
    },
    get error() {
      return state().error;
    },
    get isError() {
      return state().isError;
    },
    get isPending() {
      return state().isPending;
    },
    get isFetching() {
      return state().isFetching;
    },
    refetch: () => state().refetch(),
  };
  return { query, set: (next: Partial<FakeQuery<T>>) => setState((previous) => ({ ...previous, ...next })) };
}

describe("QueryBoundary", () => {
  it("shows a labelled loading state while the first answer is pending", async () => {
    const { query } = fakeQuery<number>({});
    const view = await renderComponent(QueryBoundary<number>, {
      query,
      label: "Loading totals",
      children: (n: () => number) => `total ${n()}`,
    });
    expect(view.container.querySelector('[role="status"]')?.textContent).toContain("Loading totals");
    view.dispose();
  });

  it("renders data that is false or zero, and updates it in place", async () => {
    const { query, set } = fakeQuery<number>({ data: 0, isPending: false, isFetching: false });
    const view = await renderComponent(QueryBoundary<number>, { query, children: (n: () => number) => `total ${n()}` });
    expect(view.container.textContent).toBe("total 0");
    set({ data: 12 });
    expect(view.container.textContent).toBe("total 12");
    view.dispose();
  });

  it("explains an error and retries on request", async () => {
    let retries = 0;
    const { query } = fakeQuery<number>({
      isError: true,
      isPending: false,
      error: new TypeError("Failed to fetch"),
      refetch: () => {
        retries += 1;
        return Promise.resolve(undefined);
      },
    });
    const view = await renderComponent(QueryBoundary<number>, { query, children: (n: () => number) => `total ${n()}` });
    const alert = view.container.querySelector('[role="alert"]');
    expect(alert?.textContent).toContain("Can't reach the server");
    const retry = [...view.container.querySelectorAll("button")].find((b) => b.textContent === "Try again");
    retry!.click();
    expect(retries).toBe(1);
    view.dispose();
  });

  it("shows a query the server timed out on the card with its advice, and offers no retry", async () => {
    const { TRPCClientError } = await import("@trpc/client");
    const error = new TRPCClientError("This took longer than 15 s to compute: narrow the range or the filters.");
    Object.assign(error, { data: { code: "TIMEOUT", httpStatus: 408 } });
    const { query } = fakeQuery<number>({ isError: true, isPending: false, error });
    const view = await renderComponent(QueryBoundary<number>, { query, children: (n: () => number) => `total ${n()}` });
    expect(view.container.querySelector('[role="alert"]')?.textContent).toContain("narrow the range or the filters");
    expect([...view.container.querySelectorAll("button")].map((b) => b.textContent)).not.toContain("Try again");
    view.dispose();
  });
});
