/**
 * The worker's job: store one batch of stream entries. A plain async function over typed input; the loop that feeds
 * it lives in worker-loop.ts.
 *
 * The ack rule: an entry is acknowledged only after the transaction holding its rows COMMITTED. Everything else
 * follows from it:
 * - The whole batch goes in one transaction (storeEvents: INSERT ... ON CONFLICT DO NOTHING RETURNING, rollups from
 *   the returned rows). A redelivered entry re-inserts nothing and counts nothing twice, so a crash between COMMIT
 *   and XACK is harmless.
 * - If PostgreSQL is unreachable, nothing is acknowledged: DatabaseUnavailable goes up and the caller retries the
 *   same batch with backoff.
 * - If the batch fails for its data, it is split: each entry in its own transaction, and an entry that still fails
 *   row by row, so one bad event never holds back the others. Entries that end with a problem (undecodable, or with
 *   rows PostgreSQL refuses) stay pending and come back; at their MAX_DELIVERIES-th delivery they go to the
 *   dead-letter stream with the reason, and are acknowledged.
 * - Stored rows are published to the live feed after the COMMIT.
 */
import type { Database } from "../../db/client.ts";
import type { PubSub } from "../../infra/pub-sub.ts";
import type { Logger } from "../../logger.ts";
import { decodeEventBatch } from "../entry/event-batch.ts";
import { type EventRow, type StoreOutcome, storeEventsCounted } from "../store/store-events.ts";
import type { EventStream, StreamEntry } from "../stream/event-stream.ts";
import { isDatabaseUnavailable } from "./database-unavailable.ts";
import { publishStoredEvents } from "./publish-stored-events.ts";

export const MAX_DELIVERIES = 5;

export class DatabaseUnavailable extends Error {
  constructor(cause: unknown) {
    super("PostgreSQL is unavailable", { cause });
    this.name = "DatabaseUnavailable";
  }
}

export interface ProcessDeps {
  db: Database;
  stream: EventStream;
  pubsub: PubSub;
  logger: Logger;
  maxDeliveries?: number;
}

export interface BatchOutcome {
  entries: number;
  events: number;
  inserted: number;
  /** Events dropped because they name a deleted person (server/pipeline/people/suppression.ts). */
  suppressed: number;
  duplicates: number;
  /** Bot events dropped for the first time (projects.bot_filtering). */
  botsFiltered: number;
  /** Events PostgreSQL refused (their entries stay pending, or were dead-lettered). */
  failedEvents: number;
  acked: number;
  deadLettered: number;
  /** Entries left pending for a later delivery. */
  retried: number;
}

interface Decoded {
  entry: StreamEntry;
  rows: EventRow[];
  /** Why the entry is not fully stored, when it is not. */
  problem: string | null;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function store(db: Database, rows: readonly EventRow[]): Promise<StoreOutcome> {
  try {
    return await storeEventsCounted(db, rows);
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw new DatabaseUnavailable(error);
    throw error;
  }
}

/** Stores the entries' events, acknowledges what was committed, dead-letters poison. See the header for the rules. */
export async function processEntries(deps: ProcessDeps, entries: readonly StreamEntry[]): Promise<BatchOutcome> {
  const maxDeliveries = deps.maxDeliveries ?? MAX_DELIVERIES;
  const decoded: Decoded[] = entries.map((entry) => {
    try {
      return { entry, rows: decodeEventBatch(entry.payload), problem: null };
    } catch (error) {
      return { entry, rows: [], problem: `cannot parse the entry: ${describe(error)}` };
    }
  });
  const allRows = decoded.flatMap((item) => item.rows);
  const inserted: EventRow[] = [];
  let botsFiltered = 0;
  let failedEvents = 0;
  let suppressed = 0;
  const keep = (outcome: StoreOutcome) => {
    inserted.push(...outcome.inserted);
    botsFiltered += outcome.botsFiltered;
    suppressed += outcome.suppressed;
  };

  try {
    keep(await store(deps.db, allRows));
  } catch (error) {
    if (error instanceof DatabaseUnavailable) throw error;
    deps.logger.warn("a batch failed as a whole; storing its entries one by one", { error, entries: entries.length });
    for (const item of decoded) {
      if (item.problem || item.rows.length === 0) continue;
      try {
        keep(await store(deps.db, item.rows));
      } catch (entryError) {
        if (entryError instanceof DatabaseUnavailable) throw entryError;
        const problems: string[] = [];
        for (let i = 0; i < item.rows.length; i++) {
          try {
            keep(await store(deps.db, [item.rows[i]!]));
          } catch (rowError) {
            if (rowError instanceof DatabaseUnavailable) throw rowError;
            failedEvents++;
            problems.push(`event ${i} (insert_id ${item.rows[i]!.insertId}): ${describe(rowError)}`);
          }
        }
        item.problem = problems.length
          ? `PostgreSQL refused ${problems.length} event(s): ${problems.join("; ")}`
          : null;
      }
    }
  }

  const done: string[] = [];
  let deadLettered = 0;
  let retried = 0;
  for (const item of decoded) {
    if (!item.problem) {
      done.push(item.entry.id);
    } else if (item.entry.deliveries >= maxDeliveries) {
      await deps.stream.deadLetter(item.entry, item.problem);
      deadLettered++;
      deps.logger.error("moved a stream entry to the dead-letter stream", {
        entryId: item.entry.id,
        deliveries: item.entry.deliveries,
        reason: item.problem,
      });
    } else {
      retried++;
      deps.logger.warn("a stream entry could not be stored completely; it will be delivered again", {
        entryId: item.entry.id,
        deliveries: item.entry.deliveries,
        reason: item.problem,
      });
    }
  }
  await deps.stream.ack(done);
  await publishStoredEvents(deps.pubsub, deps.logger, inserted);

  return {
    entries: entries.length,
    events: allRows.length,
    inserted: inserted.length,
    suppressed,
    duplicates: allRows.length - inserted.length - botsFiltered - suppressed - failedEvents,
    botsFiltered,
    failedEvents,
    acked: done.length + deadLettered,
    deadLettered,
    retried,
  };
}
