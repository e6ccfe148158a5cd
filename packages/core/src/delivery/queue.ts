/**
 * A bounded FIFO on a ring buffer: O(1) push and shift, no reallocation once full size is reached.
 * `Array#shift` is O(n), which shows up at a 10,000-record cap.
 */
export class BoundedQueue<T> {
  readonly capacity: number;
  #items: (T | undefined)[];
  #head = 0;
  #length = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#items = new Array<T | undefined>(Math.min(capacity, 1024));
  }

  get length(): number {
    return this.#length;
  }

  /** False when full: the caller decides what dropping means. */
  push(item: T): boolean {
    if (this.#length >= this.capacity) return false;
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) % this.#items.length] = item;
    this.#length++;
    return true;
  }

  /** Pushes past the cap: for the one notice record that reports drops. */
  pushOver(item: T): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) % this.#items.length] = item;
    this.#length++;
  }

  /** Copies up to `n` items from the front without removing them. */
  peek(n: number): T[] {
    return this.peekFrom(0, n);
  }

  /** Copies up to `n` items starting `start` items behind the front, without removing them. */
  peekFrom(start: number, n: number): T[] {
    const count = Math.max(0, Math.min(n, this.#length - start));
    const out = new Array<T>(count);
    for (let i = 0; i < count; i++) out[i] = this.#items[(this.#head + start + i) % this.#items.length]!;
    return out;
  }

  /** Removes `n` items from the front. */
  drop(n: number): void {
    const count = Math.min(n, this.#length);
    for (let i = 0; i < count; i++) {
      this.#items[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.#items.length;
    }
    this.#length -= count;
  }

  #grow(): void {
    const size = this.#items.length;
    const next = new Array<T | undefined>(Math.max(size * 2, 16));
    for (let i = 0; i < this.#length; i++) next[i] = this.#items[(this.#head + i) % size];
    this.#items = next;
    this.#head = 0;
  }
}
