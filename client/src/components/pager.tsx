/** Previous/next paging for tables, with "1–20 of 143". */
import { formatPageRange } from "../lib/format.ts";

export function Pager(props: {
  page: number;
  pageSize: number;
  count: number;
  total: number;
  /** For cursor paging: whether the server answered a next page (otherwise the total decides). */
  hasNext?: boolean;
  busy?: boolean;
  label: string;
  onPage: (page: number) => void;
}) {
  const lastPage = () => Math.max(0, Math.ceil(props.total / props.pageSize) - 1);
  return (
    <nav aria-label={`${props.label} pages`} class="flex items-center justify-between gap-3 pt-3 text-sm">
      <p class="text-muted tabular" aria-live="polite">
        {formatPageRange(props.page * props.pageSize, props.count, props.total)}
      </p>
      <div class="flex gap-2">
        <button
          type="button"
          class="btn-secondary px-2.5 py-1"
          disabled={props.page === 0 || props.busy}
          onClick={() => props.onPage(props.page - 1)}
        >
          Previous
        </button>
        <button
          type="button"
          class="btn-secondary px-2.5 py-1"
          disabled={!(props.hasNext ?? props.page < lastPage()) || props.busy}
          onClick={() => props.onPage(props.page + 1)}
        >
          Next
        </button>
      </div>
    </nav>
  );
}
