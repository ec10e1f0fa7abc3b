/**
 * Where an accepted batch goes: the event stream, or PostgreSQL directly when the stream cannot take it (Redis
 * unreachable, out of memory, timed out). The caller answers 202 only after one of them confirmed; when neither can,
 * it answers 503. The direct path writes through the same `storeEvents` as the worker, so a batch that reached both
 * (a timed-out XADD that Redis did apply) is still stored once and counted once.
 *
 * Load shedding: the stream backlog (undelivered + unacknowledged entries) is re-read at most once a second, in the
 * background of a request (no timer to stop, and an idle server asks nothing); above
 * STREAM_MAX_BACKLOG entries ingest answers 503 + Retry-After rather than let Redis fill up, and the stream is never
 * trimmed past what the workers have not acknowledged.
 *
 * The direct write is bounded in time (DIRECT_WRITE_TIMEOUT_MS): with PostgreSQL stopped, postgres.js keeps a query
 * queued until its next connection attempt, which backs off to 20 s apart, so a request would hang for the whole
 * outage. After the bound the client gets 503 + Retry-After and resends; a queued write that gets a connection only
 * after the bound stores nothing (storeEvents' `startBy`), and one already under way is deduplicated against the
 * resend on insert id like any retry.
 */
import type { Database } from "../../db/client.ts";
import type { Logger } from "../../logger.ts";
import { decodeEventBatch } from "../entry/event-batch.ts";
import { type EventRow, storeEvents } from "../store/store-events.ts";
import type { EventStream } from "../stream/event-stream.ts";

/** A direct write of one batch takes milliseconds; seconds mean PostgreSQL is away or far behind. */
export const DIRECT_WRITE_TIMEOUT_MS = 3_000;

export class QueueUnavailable extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = "QueueUnavailable";
  }
}

export interface EventQueueOptions {
  stream: EventStream;
  db: Database;
  logger: Logger;
  maxBacklog: number;
  /** Called with the rows the direct path stored, to publish them to the live feed. */
  onStoredDirectly?: (rows: EventRow[]) => void;
  /** Events of a direct write dropped as a deleted person's (the batch is still answered 202). */
  onSuppressed?: (count: number) => void;
  pollMs?: number;
}

export class EventQueue {
  private overloaded = false;
  private streamFailing = false;
  private lastPoll = 0;
  private polling = false;

  constructor(private readonly options: EventQueueOptions) {}

  /** True while the backlog is above its bound: new batches are refused with 503. Refreshes the reading when old. */
  isOverloaded(now = Date.now()): boolean {
    if (!this.polling && now - this.lastPoll >= (this.options.pollMs ?? 1_000)) {
      this.lastPoll = now;
      void this.pollBacklog();
    }
    return this.overloaded;
  }

  async pollBacklog(): Promise<void> {
    this.polling = true;
    try {
      const { pending, lag } = await this.options.stream.backlog();
      const overloaded = pending + lag > this.options.maxBacklog;
      if (overloaded !== this.overloaded) {
        this.options.logger[overloaded ? "warn" : "info"](
          overloaded ? "stream backlog above its bound; shedding ingest load" : "stream backlog back under its bound",
          { pending, lag, maxBacklog: this.options.maxBacklog },
        );
      }
      this.overloaded = overloaded;
    } catch (error) {
      // Redis away: nothing piles up in the stream, so there is nothing to shed; appends fall back on their own.
      this.overloaded = false;
      this.options.logger.debug("cannot read the stream backlog", { error });
    } finally {
      this.polling = false;
    }
  }

  /** Hands the batch to the stream, or stores it directly; throws QueueUnavailable when neither works. */
  async enqueue(payload: string): Promise<void> {
    if (this.isOverloaded()) throw new QueueUnavailable("Too many events are waiting to be stored.", 5);
    try {
      await this.options.stream.append(payload);
      if (this.streamFailing) this.options.logger.info("the event stream takes events again");
      this.streamFailing = false;
      return;
    } catch (streamError) {
      if (!this.streamFailing) {
        this.options.logger.warn("the event stream refused a batch; writing to PostgreSQL directly", {
          error: streamError,
        });
      }
      this.streamFailing = true;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const stored = await Promise.race([
          storeEvents(this.options.db, decodeEventBatch(payload), {
            startBy: Date.now() + DIRECT_WRITE_TIMEOUT_MS,
            ...(this.options.onSuppressed ? { onSuppressed: this.options.onSuppressed } : {}),
          }),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`PostgreSQL did not store the batch within ${DIRECT_WRITE_TIMEOUT_MS} ms`)),
              DIRECT_WRITE_TIMEOUT_MS,
            );
          }),
        ]);
        this.options.onStoredDirectly?.(stored);
      } catch (databaseError) {
        this.options.logger.error("neither the event stream nor PostgreSQL took a batch", {
          streamError,
          databaseError,
        });
        throw new QueueUnavailable("Events cannot be stored right now.", 10);
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
