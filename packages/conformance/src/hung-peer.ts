import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { AuditSyslogTransport } from '@auditkit/syslog';

/**
 * A real stuck sink: a TCP syslog peer that accepts connections and never reads them. The syslog
 * transport counts a record as written only once the peer has read it (its answering FIN proves it),
 * so nothing is confirmed while the peer hangs: queues fill, strict and blocking requests wait, for
 * real. `release()` makes the peer read, as a server that catches up; `received` is what it has read.
 */
export class HungPeer {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #reading = false;
  #text = '';
  readonly port: number;

  private constructor(server: net.Server) {
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  static async start(): Promise<HungPeer> {
    let peer: HungPeer | undefined;
    const held: net.Socket[] = [];
    const server = net.createServer((socket) => (peer ? peer.#hold(socket) : held.push(socket)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    peer = new HungPeer(server);
    for (const s of held) peer.#hold(s);
    return peer;
  }

  #hold(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (this.#text += chunk));
    // Paused: the bytes stay in the kernel's receive buffer, and our FIN is never seen.
    if (!this.#reading) socket.pause();
  }

  /** A transport for this peer: one message per line, short confirmation delays for tests. */
  transport(): AuditSyslogTransport {
    return new AuditSyslogTransport({ protocol: 'tcp', host: '127.0.0.1', port: this.port, framing: 'lf', idleConfirmMs: 20, confirmIntervalMs: 100 });
  }

  /** The peer starts reading, and answers each end of stream with its own (Node's default), which confirms. */
  release(): void {
    this.#reading = true;
    for (const s of this.#sockets) s.resume();
  }

  /** Records read so far, in order (the JSON after the RFC 5424 header and its byte-order mark). */
  get received(): Array<Record<string, unknown>> {
    return this.#text
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l.slice(l.indexOf('\ufeff') + 1)) as Record<string, unknown>);
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise((r) => this.#server.close(r));
  }
}
