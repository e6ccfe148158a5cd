/**
 * Runs a store's upkeep (retention, partitions) now and then every `intervalMs`, never two at once,
 * on an unref'd timer so it never keeps a process alive. A run asked for while one is under way
 * follows it. Failures go to `onError` and the next run
 * tries again.
 */
export class UpkeepSchedule {
  readonly #run: () => Promise<void>;
  readonly #onError: (err: unknown) => void;
  readonly #timer: NodeJS.Timeout;
  #running: Promise<void> | undefined;
  /** The run asked for while one was under way. */
  #next: Promise<void> | undefined;
  #stopped = false;

  constructor(intervalMs: number, run: () => Promise<void>, onError: (err: unknown) => void) {
    this.#run = run;
    this.#onError = onError;
    this.#timer = setInterval(() => void this.now().catch(() => undefined), intervalMs);
    this.#timer.unref();
  }

  /**
   * Runs upkeep now; rejects when it fails. A run already under way may have read the store before
   * what the caller wants covered (the records just written), so the caller gets the run that starts
   * after it: one, shared by every caller that asks meanwhile.
   */
  now(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (!this.#running) return this.#start();
    this.#next ??= this.#running
      .catch(() => undefined)
      .then(() => {
        this.#next = undefined;
        return this.#stopped ? undefined : this.#start();
      });
    return this.#next;
  }

  #start(): Promise<void> {
    const run = this.#run()
      .catch((err: unknown) => {
        this.#onError(err);
        throw err;
      })
      .finally(() => {
        if (this.#running === run) this.#running = undefined;
      });
    this.#running = run;
    return run;
  }

  /** Stops the timer and waits for a run under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running?.catch(() => undefined);
    await this.#next?.catch(() => undefined);
  }
}
