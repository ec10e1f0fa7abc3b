const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;

/** Capped exponential backoff with jitter: 100 ms doubling to 5 s, each wait between half and all of that. */
export class Backoff {
  private attempt = 0;
  next(): number {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 16);
    return base / 2 + Math.random() * (base / 2);
  }
  reset() {
    this.attempt = 0;
  }
}

/** Sleeps that `wakeAll` ends early (the worker's stop must not wait out a backoff). */
export class Sleeper {
  private readonly sleepers = new Set<() => void>();

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }
}
