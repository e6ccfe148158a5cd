import { Readable } from 'node:stream';

/**
 * A byte stream that asks its producer for the next chunk only when the client has taken the last
 * ones: the export and the live feed read the store at the pace of the slowest reader, so memory stays
 * bounded by one batch plus the socket's buffers, whatever the size of the result.
 *
 * When the client goes away the mount destroys the stream: the producer's signal aborts (a live feed
 * stops sleeping) and its generator is returned, so its `finally` runs (the read is recorded).
 */
export function pullStream(produce: (signal: AbortSignal) => AsyncIterable<string>, highWaterMark = 64 * 1024): PullStream {
  return new PullStream(produce, highWaterMark);
}

export class PullStream extends Readable {
  readonly #abort = new AbortController();
  readonly #iterator: AsyncIterator<string>;
  #pulling = false;
  #finished = false;

  constructor(produce: (signal: AbortSignal) => AsyncIterable<string>, highWaterMark: number) {
    super({ highWaterMark });
    this.#iterator = produce(this.#abort.signal)[Symbol.asyncIterator]();
  }

  /**
   * Asks the producer to finish (its signal aborts) so the body ends cleanly, as a server shutdown
   * ends a live stream; a client that is not reading is cut off instead.
   */
  stop(): void {
    this.#abort.abort();
    if (!this.#pulling) this.destroy();
  }

  override _read(): void {
    if (!this.#pulling) void this.#pump();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#abort.abort();
    if (!this.#pulling) this.#finish();
    callback(err);
  }

  async #pump(): Promise<void> {
    this.#pulling = true;
    try {
      while (!this.destroyed) {
        const { value, done } = await this.#iterator.next();
        if (this.destroyed) break;
        if (done === true) {
          this.#finished = true;
          this.push(null);
          break;
        }
        if (!this.push(value)) break;
      }
    } catch (err) {
      this.#finished = true;
      this.destroy(err as Error);
    } finally {
      this.#pulling = false;
    }
    if (this.destroyed) this.#finish();
  }

  /** Lets the producer's `finally` run when the stream ends early. */
  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#iterator.return?.().catch(() => undefined);
  }
}
