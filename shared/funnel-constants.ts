/** Funnel limits and names shared by the API contract (shared/funnel.ts) and the dashboard, without zod. */
export const MIN_FUNNEL_STEPS = 2;
export const MAX_FUNNEL_STEPS = 10;
export const DEFAULT_FUNNEL_WINDOW_SECONDS = 86_400;
export const MAX_FUNNEL_WINDOW_SECONDS = 90 * 86_400;
export const MAX_EVENT_NAME_LENGTH = 200;
/** Breakdown values shown by name (by step-1 count); the rest are grouped as FUNNEL_OTHER. */
export const FUNNEL_BREAKDOWN_LIMIT = 10;
export const FUNNEL_OTHER = "$other";
export const FUNNEL_PEOPLE_PAGE_SIZE = 50;
