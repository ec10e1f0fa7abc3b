/**
 * The ingest queue in process, for embedded mode (see event-stream.ts for the contract both implementations keep).
 */
import { compareIds, type DeadLetter, type EventStream, type StreamEntry } from "./event-stream.ts";

interface MemoryEntry {
  id: string;
  payload: string;
}

interface PendingInfo {
  consumer: string;
  deliveries: number;
  deliveredAt: number;
}

/**
 * The same contract in memory, for embedded mode (one process runs ingest and worker). Entries live only as long as
 * the process: shutdown drains them (the worker finishes the backlog before exit), a kill -9 loses what was not yet
 * stored.
 */
export class MemoryEventStream implements EventStream {
  private entries: MemoryEntry[] = [];
  /** Index in `entries` of the first entry never delivered. */
  private nextUndelivered = 0;
  private readonly pending = new Map<string, PendingInfo>();
  private readonly dead: DeadLetter[] = [];
  private lastMs = 0;
  private seq = 0;
  private waiters = new Set<() => void>();
  private closed = false;

  async ensureGroup() {}

  async append(payload: string) {
    if (this.closed) throw new Error("the event stream is closed");
    const id = this.makeId();
    this.entries.push({ id, payload });
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
    return id;
  }

  private makeId(): string {
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.seq = 0;
    } else {
      this.seq++;
    }
    return `${this.lastMs}-${this.seq}`;
  }

  async readNew(consumer: string, count: number, blockMs: number) {
    if (this.nextUndelivered >= this.entries.length && blockMs > 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.waiters.delete(wake);
          resolve();
        }, blockMs);
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        this.waiters.add(wake);
      });
    }
    const out: StreamEntry[] = [];
    const now = Date.now();
    while (out.length < count && this.nextUndelivered < this.entries.length) {
      const entry = this.entries[this.nextUndelivered++]!;
      this.pending.set(entry.id, { consumer, deliveries: 1, deliveredAt: now });
      out.push({ id: entry.id, payload: entry.payload, deliveries: 1 });
    }
    return out;
  }

  async readOwnPending(consumer: string, count: number, afterId: string) {
    const out: StreamEntry[] = [];
    const now = Date.now();
    for (const entry of this.entries) {
      if (out.length >= count) break;
      const info = this.pending.get(entry.id);
      if (!info || info.consumer !== consumer || (afterId !== "0" && compareIds(entry.id, afterId) <= 0)) continue;
      info.deliveries++;
      info.deliveredAt = now;
      out.push({ id: entry.id, payload: entry.payload, deliveries: info.deliveries });
    }
    return out;
  }

  async claimIdle(consumer: string, minIdleMs: number, count: number, cursor: string) {
    const out: StreamEntry[] = [];
    const now = Date.now();
    let next = "0-0";
    for (const entry of this.entries) {
      if (cursor !== "0-0" && cursor !== "0" && compareIds(entry.id, cursor) < 0) continue;
      const info = this.pending.get(entry.id);
      if (!info || now - info.deliveredAt < minIdleMs) continue;
      if (out.length >= count) {
        next = entry.id;
        break;
      }
      info.consumer = consumer;
      info.deliveries++;
      info.deliveredAt = now;
      out.push({ id: entry.id, payload: entry.payload, deliveries: info.deliveries });
    }
    return { next, entries: out };
  }

  async ack(ids: readonly string[]) {
    for (const id of ids) this.pending.delete(id);
  }

  async deadLetter(entry: StreamEntry, reason: string) {
    this.dead.push({
      id: this.makeId(),
      entryId: entry.id,
      payload: entry.payload,
      reason,
      deliveries: entry.deliveries,
    });
    this.pending.delete(entry.id);
  }

  async readDeadLetters(count: number, afterId?: string) {
    const start = afterId ? this.dead.findIndex((letter) => compareIds(letter.id, afterId) > 0) : 0;
    return start < 0 ? [] : this.dead.slice(start, start + count);
  }

  async deadLetterCount() {
    return this.dead.length;
  }

  async replayDeadLetter(id: string) {
    const letter = this.dead.find((candidate) => candidate.id === id);
    if (!letter) return false;
    await this.append(letter.payload);
    // Removed only once the append succeeded (a closed stream refuses it): a failed replay keeps the dead letter.
    const index = this.dead.indexOf(letter);
    if (index >= 0) this.dead.splice(index, 1);
    return true;
  }

  async dropDeadLetter(id: string) {
    const index = this.dead.findIndex((letter) => letter.id === id);
    if (index >= 0) this.dead.splice(index, 1);
    return index >= 0;
  }

  async trimAcknowledged() {
    let removable = 0;
    while (removable < this.nextUndelivered && !this.pending.has(this.entries[removable]!.id)) removable++;
    if (removable > 0) {
      this.entries = this.entries.slice(removable);
      this.nextUndelivered -= removable;
    }
    return removable;
  }

  async backlog() {
    return {
      length: this.entries.length,
      pending: this.pending.size,
      lag: this.entries.length - this.nextUndelivered,
    };
  }

  async oldestUnstoredId() {
    for (let i = 0; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      if (i >= this.nextUndelivered || this.pending.has(entry.id)) return entry.id;
    }
    return null;
  }

  interruptReads() {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  async close() {
    this.closed = true;
    this.interruptReads();
  }
}
