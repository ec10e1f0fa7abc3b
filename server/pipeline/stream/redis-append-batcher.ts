/**
 * The append side of the Redis event stream: Bun's native client, several XADDs per command (see RedisAppendBatcher).
 * Used by RedisEventStream; split out because batching and reconnection are a state machine of their own.
 */
import { RedisClient } from "bun";
import type { Redis } from "ioredis";

/** How long an append may wait for Redis before it counts as failed (ioredis' commandTimeout for the rest). */
const APPEND_TIMEOUT_MS = 2_000;

/**
 * The URL of the server an ioredis connection talks to, for Bun's own client; null when the connection uses what
 * a URL cannot carry here (TLS settings, a Unix socket, Sentinel), and appends then stay on ioredis.
 */
export function nativeUrlOf(redis: Redis): string | null {
  const { host, port, username, password, db, tls, path, sentinels } = redis.options;
  if (tls || path || sentinels?.length || !host || !port) return null;
  const auth = password ? `${encodeURIComponent(username ?? "")}:${encodeURIComponent(password)}@` : "";
  return `redis://${auth}${host.includes(":") ? `[${host}]` : host}:${port}/${db ?? 0}`;
}

/**
 * Appends through Bun's native Redis client, on a connection of its own, several entries per command.
 *
 * Why: XADD is ingest's one Redis command per request, and through ioredis it was the largest part of the API
 * server's CPU (~30 % of profile samples). ioredis builds every command as one JS string (a byteLength pass,
 * concatenation into the pipeline's string, a UTF-8 copy into node:net's buffers): for 25 KB entries those
 * megabyte strings and their copies dominated, and for small ones the per-command machinery did. Bun's client
 * encodes natively but sends each command with its own send(); so the appends made in one turn of the event loop
 * are sent as one EVAL of a script that XADDs each of them, one entry per request as before, each with its own
 * id or error (a refused XADD, e.g. OOM, fails only its own append). While a batch is in flight the next one
 * fills, as ioredis' auto-pipelining does.
 *
 * It keeps the ioredis stream connection's contract: no offline queue (an append while Redis is away fails at
 * once, and ingest stores the batch in PostgreSQL instead), at most 2 s per append (counted from the moment it was
 * queued), and reconnection in the background for as long as the process lives. Like a timed-out XADD, an append
 * that timed out may still have reached the stream; the worker's insert-id dedupe makes storing it twice harmless.
 */
const APPEND_SCRIPT =
  "local ids = {} " +
  "for i, payload in ipairs(ARGV) do " +
  "local id = redis.pcall('XADD', KEYS[1], '*', 'd', payload) " +
  "if type(id) == 'table' then ids[i] = '!' .. tostring(id.err) else ids[i] = id end " +
  "end return ids";

/** Bounds on one EVAL: entries, and their total length (ingest bodies are at most 1 MiB each). */
const MAX_BATCH_ENTRIES = 500;
const MAX_BATCH_LENGTH = 8 * 1024 * 1024;

interface PendingAppend {
  payload: string;
  resolve: (id: string) => void;
  reject: (error: Error) => void;
}

interface AppendBatch {
  items: PendingAppend[];
  length: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  settled: boolean;
}

export class RedisAppendBatcher {
  private client: RedisClient | null = null;
  /** Set while a new connection's first attempt may still succeed (at most APPEND_TIMEOUT_MS). */
  private firstAttempt: Promise<void> | null = null;
  private openedAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  /** The batch new appends join; then batches waiting for the one in flight, oldest first. */
  private filling: AppendBatch | null = null;
  private readonly waiting: AppendBatch[] = [];
  private inFlight: AppendBatch | null = null;
  private flushScheduled = false;

  constructor(
    private readonly url: string,
    private readonly key: string,
  ) {}

  async append(payload: string): Promise<string> {
    if (this.closed) throw new Error("the event stream is closed");
    const client = this.client ?? this.open();
    // Only the first attempt of a new connection is waited for (briefly); otherwise, while the client is
    // reconnecting, the append fails at once (no offline queue), as with ioredis.
    if (!client.connected && this.firstAttempt) await this.firstAttempt;
    if (!client.connected) throw new Error("Redis is not connected (appends are not queued while it is away)");
    return new Promise<string>((resolve, reject) => {
      let batch = this.filling;
      if (!batch || batch.items.length >= MAX_BATCH_ENTRIES || batch.length >= MAX_BATCH_LENGTH) {
        if (batch) this.waiting.push(batch);
        batch = this.filling = this.newBatch();
      }
      batch.items.push({ payload, resolve, reject });
      batch.length += payload.length;
      this.scheduleFlush();
    });
  }

  private newBatch(): AppendBatch {
    const batch: AppendBatch = { items: [], length: 0, timer: undefined, settled: false };
    batch.timer = setTimeout(() => {
      this.fail(batch, new Error(`XADD had no answer within ${APPEND_TIMEOUT_MS} ms`));
      // A batch Redis never answers must not hold back the ones behind it.
      if (this.inFlight === batch) {
        this.inFlight = null;
        this.scheduleFlush();
      }
    }, APPEND_TIMEOUT_MS);
    return batch;
  }

  private scheduleFlush() {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate, not a microtask: requests handled in the same turn of the event loop share the command.
    setImmediate(this.flush);
  }

  private readonly flush = () => {
    this.flushScheduled = false;
    if (this.inFlight) return;
    // Batches that timed out while waiting have nothing left to send.
    let batch = this.waiting.shift() ?? this.takeFilling();
    while (batch?.settled) batch = this.waiting.shift() ?? this.takeFilling();
    if (!batch) return;
    const client = this.client;
    if (!client || this.closed) {
      this.fail(batch, new Error("the Redis connection for appends is closed"));
      this.scheduleFlush();
      return;
    }
    const sent = batch;
    this.inFlight = sent;
    const args = new Array<string>(sent.items.length + 3);
    args[0] = APPEND_SCRIPT;
    args[1] = "1";
    args[2] = this.key;
    for (let i = 0; i < sent.items.length; i++) args[i + 3] = sent.items[i]!.payload;
    client
      .send("EVAL", args)
      .then(
        (ids: unknown) => this.settle(sent, ids),
        (error: unknown) => this.fail(sent, error instanceof Error ? error : new Error(String(error))),
      )
      .finally(() => {
        if (this.inFlight === sent) this.inFlight = null;
        if (this.waiting.length > 0 || this.filling) this.scheduleFlush();
      });
  };

  private takeFilling(): AppendBatch | null {
    const batch = this.filling;
    this.filling = null;
    return batch;
  }

  private settle(batch: AppendBatch, ids: unknown) {
    if (batch.settled) return;
    batch.settled = true;
    clearTimeout(batch.timer);
    const list = Array.isArray(ids) ? ids : [];
    for (let i = 0; i < batch.items.length; i++) {
      const item = batch.items[i]!;
      const id: unknown = list[i];
      if (typeof id === "string" && id !== "" && id.charCodeAt(0) !== 33 /* ! */) item.resolve(id);
      else item.reject(new Error(typeof id === "string" ? `XADD refused: ${id.slice(1)}` : "XADD returned no id"));
    }
  }

  private fail(batch: AppendBatch, error: Error) {
    if (batch.settled) return;
    batch.settled = true;
    clearTimeout(batch.timer);
    for (const item of batch.items) item.reject(error);
  }

  private open(): RedisClient {
    // A client that could not connect at all (refused credentials, say) is replaced at most once a second.
    if (performance.now() - this.openedAt < 1_000) throw new Error("Redis cannot be reached for appends");
    this.openedAt = performance.now();
    const client = new RedisClient(this.url, {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      autoReconnect: true,
      // Reconnect for as long as the process lives (the largest value the client takes).
      maxRetries: 0xffff_ffff,
      connectionTimeout: APPEND_TIMEOUT_MS,
    });
    const drop = () => {
      if (this.client !== client) return;
      this.client = null;
      client.close();
    };
    // The client gave up (or never could connect): the next append opens a new one.
    client.onclose = drop;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = Promise.race([
      client.connect().catch(drop),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, APPEND_TIMEOUT_MS);
      }),
    ]).finally(() => {
      clearTimeout(timer);
      if (this.firstAttempt === attempt) this.firstAttempt = null;
    });
    this.firstAttempt = attempt;
    this.client = client;
    return client;
  }

  close() {
    this.closed = true;
    const client = this.client;
    this.client = null;
    client?.close();
    const error = new Error("the event stream is closed");
    for (const batch of [...this.waiting, this.filling, this.inFlight]) if (batch) this.fail(batch, error);
    this.waiting.length = 0;
    this.filling = null;
  }
}
