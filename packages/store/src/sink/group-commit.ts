/**
 * Batches that arrive while one is being committed wait and then go together, in one transaction.
 * A commit costs about the same for 256 records as for 1,024 (the trigram index flushes and merges once
 * per transaction), so under load this turns several small transactions into one; when idle, a batch
 * goes at once. Callers are answered in arrival order; a failed commit fails every batch in it, and the
 * pipeline retries them (inserts are idempotent by id).
 */
export class GroupCommit {
  readonly #commit: (lines: string[]) => Promise<unknown>;
  #waiting: { lines: string[]; waiters: Array<{ resolve(): void; reject(err: unknown): void }> } | undefined;
  #busy = false;

  constructor(commit: (lines: string[]) => Promise<unknown>) {
    this.#commit = commit;
  }

  write(lines: readonly string[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const group = (this.#waiting ??= { lines: [], waiters: [] });
      for (const line of lines) group.lines.push(line);
      group.waiters.push({ resolve, reject });
      void this.#next();
    });
  }

  async #next(): Promise<void> {
    if (this.#busy || !this.#waiting) return;
    const group = this.#waiting;
    this.#waiting = undefined;
    this.#busy = true;
    try {
      await this.#commit(group.lines);
      for (const w of group.waiters) w.resolve();
    } catch (err) {
      for (const w of group.waiters) w.reject(err);
    } finally {
      this.#busy = false;
      void this.#next();
    }
  }
}
