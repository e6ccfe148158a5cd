import type { Socket } from 'node:net';

/**
 * A TCP or TLS connection to a syslog server that knows which records the server has read.
 *
 * Syslog over TCP has no acknowledgements (RFC 5425 has none; RELP adds them), and a write that
 * succeeds has only reached the local kernel: when rsyslog is stopped, the records it had not read
 * yet are discarded with an RST and the client learns nothing (measured: the last 200 of 153,400
 * records vanished that way). So a connection is closed cleanly now and then: we send FIN after the
 * last record, the server reads up to our FIN, closes its side, and its FIN tells us it has read
 * everything we sent. Only then are those records confirmed. A connection that dies any other way,
 * or a server that does not answer our FIN in time, fails every unconfirmed batch, and the pipeline
 * sends them again (or spools them): a record is never lost in transit, and can at worst arrive twice,
 * with the same id.
 *
 * A clean close happens after `idleMs` without new records, and at least every `intervalMs` under
 * continuous load, so a confirmation costs one reconnect per interval.
 */

export interface ConfirmSettings {
  idleMs: number;
  intervalMs: number;
  timeoutMs: number;
}

interface Deferred {
  resolve(): void;
  reject(err: Error): void;
}

export class ConfirmingStream {
  readonly #open: () => Promise<Socket>;
  readonly #settings: ConfirmSettings;
  #socket: Socket | undefined;
  #connecting: Promise<Socket> | undefined;
  #pending: Deferred[] = [];
  #cycle: Promise<void> | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #intervalTimer: NodeJS.Timeout | undefined;
  /** Connections opened, for tests and stats. */
  connections = 0;

  constructor(open: () => Promise<Socket>, settings: ConfirmSettings) {
    this.#open = open;
    this.#settings = settings;
  }

  /** Sends `data`; resolves once the server has confirmed reading it. */
  async send(data: Buffer): Promise<void> {
    while (this.#cycle) await this.#cycle;
    const socket = await this.#connect();
    const promise = new Promise<void>((resolve, reject) => this.#pending.push({ resolve, reject }));
    socket.write(data);
    if (this.#idleTimer) this.#idleTimer.refresh();
    else this.#idleTimer = setTimeout(() => void this.confirm(), this.#settings.idleMs).unref();
    this.#intervalTimer ??= setTimeout(() => void this.confirm(), this.#settings.intervalMs).unref();
    return promise;
  }

  /** Closes the current connection cleanly and settles what was sent on it. */
  confirm(): Promise<void> {
    if (this.#cycle) return this.#cycle;
    const socket = this.#socket;
    this.#clearTimers();
    if (!socket) return Promise.resolve();
    this.#socket = undefined;
    const pending = this.#pending;
    this.#pending = [];
    this.#cycle = new Promise<void>((done) => {
      let ended = false;
      let settled = false;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        for (const d of pending) {
          if (err) d.reject(err);
          else d.resolve();
        }
        this.#cycle = undefined;
        done();
      };
      const timer = setTimeout(() => finish(new Error(`the server did not confirm within ${this.#settings.timeoutMs} ms`)), this.#settings.timeoutMs);
      socket.once('end', () => {
        ended = true;
        finish();
      });
      socket.once('error', (err) => finish(err));
      socket.once('close', () => finish(ended ? undefined : new Error('the connection closed before the server confirmed')));
      socket.end();
    });
    return this.#cycle;
  }

  async close(): Promise<void> {
    while (this.#cycle) await this.#cycle;
    if (this.#connecting) await this.#connecting.catch(() => undefined);
    await this.confirm();
  }

  #connect(): Promise<Socket> {
    if (this.#socket) return Promise.resolve(this.#socket);
    this.#connecting ??= this.#open().then(
      (socket) => {
        this.#connecting = undefined;
        this.connections++;
        this.#socket = socket;
        const lost = (err: Error): void => this.#lost(socket, err);
        socket.on('error', lost);
        socket.on('end', () => lost(new Error('the server closed the connection')));
        socket.on('close', () => lost(new Error('the connection closed')));
        // Read (and ignore) whatever the server sends, so its FIN is seen.
        socket.resume();
        return socket;
      },
      (err: unknown) => {
        this.#connecting = undefined;
        throw err;
      },
    );
    return this.#connecting;
  }

  /** The connection died outside a confirmation: everything sent on it is unconfirmed. */
  #lost(socket: Socket, err: Error): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    this.#clearTimers();
    const pending = this.#pending;
    this.#pending = [];
    socket.destroy();
    for (const d of pending) d.reject(err);
  }

  #clearTimers(): void {
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#intervalTimer);
    this.#idleTimer = undefined;
    this.#intervalTimer = undefined;
  }
}
