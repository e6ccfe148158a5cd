import { parseArgs } from 'node:util';
import { serve } from './serve.js';

interface Streams {
  out: { write(s: string): unknown };
  err: { write(s: string): unknown };
}

/**
 * `auditkit serve --store <url> [--host 127.0.0.1] [--port 8080]`: runs until SIGINT or SIGTERM,
 * then ends live streams, closes the server, flushes the reads' records and closes the store.
 */
export async function serveCommand(args: string[], io: Streams): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { store: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' } } });
  if (positionals.length > 0) throw new Error(`unexpected ${JSON.stringify(positionals[0])}; usage: auditkit serve --store <url>`);
  if (!values.store) throw new Error('--store is required: sqlite:./audit.db or postgres://user@host/db');
  let port = 0;
  if (values.port !== undefined) {
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) throw new Error(`--port must be a port number (0-65535), got ${JSON.stringify(values.port)}`);
    port = Number(values.port);
  }
  const host = values.host ?? '127.0.0.1';
  const running = await serve({ store: values.store, host, port });
  if (host !== '127.0.0.1' && host !== '::1' && host !== 'localhost') {
    io.err.write(`auditkit serve: listening on ${host}, not only this machine: anyone who can reach it and holds the token reads the trail\n`);
  }
  io.out.write(`Audit dashboard: ${running.url}\n(the token is in the address; every read is recorded in the store; Ctrl+C stops)\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.close();
  return 0;
}
