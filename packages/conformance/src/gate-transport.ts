import TransportStream from 'winston-transport';

/**
 * A real Winston transport whose writes complete only when the test opens the gate: a sink that is
 * slow or stuck, to fill queues. Records it receives are kept in order.
 */
export class GateTransport extends TransportStream {
  readonly received: Array<Record<string, unknown>> = [];
  #open: boolean;
  #waiting: Array<() => void> = [];

  constructor(open = false) {
    super({});
    (this as { name?: string }).name = 'gate';
    this.#open = open;
  }

  override log(info: Record<string, unknown>, callback: () => void): void {
    this.received.push(info);
    if (this.#open) setImmediate(callback);
    else this.#waiting.push(callback);
  }

  open(): void {
    this.#open = true;
    for (const cb of this.#waiting.splice(0)) cb();
  }
}
