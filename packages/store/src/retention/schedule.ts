/**
 * Runs a store's upkeep (retention, partitions) now and then every `intervalMs`, never two at once,
 * on an unref'd timer so it never keeps a process alive. Failures go to `onError` and the next run
 * tries again.
 */
export class UpkeepSchedule {
  readonly #run: () => Promise<void>;
  readonly #onError: (err: unknown) => void;
  readonly #timer: NodeJS.Timeout;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(intervalMs: number, run: () => Promise<void>, onError: (err: unknown) => void) {
    this.#run = run;
    this.#onError = onError;
    this.#timer = setInterval(() => void this.now().catch(() => undefined), intervalMs);
    this.#timer.unref();
  }

  /** Runs upkeep now (or joins the run under way); rejects when it fails. */
  now(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (!this.#running) {
      this.#running = this.#run()
        .catch((err: unknown) => {
          this.#onError(err);
          throw err;
        })
        .finally(() => {
          this.#running = undefined;
        });
    }
    return this.#running;
  }

  /** Stops the timer and waits for a run under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running?.catch(() => undefined);
  }
}
