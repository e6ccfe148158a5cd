import type { CommandOutcome } from '../audit/outcome.js';
import type { StoreArgument } from '../store/store-argument.js';
import type { Streams } from '../streams.js';
import { serve } from './serve.js';

export interface ServeFlags {
  store?: StoreArgument;
  host?: string;
  port?: string;
}

/**
 * `auditkit serve --store <url> [--host 127.0.0.1] [--port 8080]`: runs until SIGINT or SIGTERM,
 * then ends live streams, closes the server, flushes the reads' records and closes the store.
 */
export async function serveCommand(operands: readonly string[], flags: ServeFlags, io: Streams): Promise<CommandOutcome> {
  if (operands.length > 0) throw new Error(`unexpected ${JSON.stringify(operands[0])}; usage: auditkit serve --store <url>`);
  if (!flags.store?.url) throw new Error('--store is required: sqlite:./audit.db or postgres://user@host/db');
  let port = 0;
  if (flags.port !== undefined) {
    if (!/^\d{1,5}$/.test(flags.port) || Number(flags.port) > 65535) throw new Error(`--port must be a port number (0-65535), got ${JSON.stringify(flags.port)}`);
    port = Number(flags.port);
  }
  const host = flags.host ?? '127.0.0.1';
  const running = await serve({ store: flags.store.url, host, port });
  if (host !== '127.0.0.1' && host !== '::1' && host !== 'localhost') {
    io.err.write(`auditkit serve: listening on ${host}, not only this machine: anyone who can reach it and holds the token reads the trail\n`);
  }
  // Listening before the address is printed: whoever reads it may stop the server at once, and a
  // SIGTERM that arrives before its listener ends the process without closing (Node's default).
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  io.out.write(`Audit dashboard: ${running.url}\n(the token is in the address; every read is recorded in the store; Ctrl+C stops)\n`);
  await stopped;
  await running.close();
  return { exitCode: 0 };
}
