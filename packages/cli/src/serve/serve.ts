import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import { pipeline } from 'node:stream';
import { createAuditLogApi, type ApiResponse } from '@auditkit/api';
import { createAuditor } from '@auditkit/core';
import { createDashboard } from '@auditkit/dashboard';
import { openStoreUrl } from '../store/store-url.js';
import { bearerAuthorize, newToken } from './token.js';

/**
 * `auditkit serve --store <url>`: the dashboard and the query API over a store, for operators without
 * an application mount. Bound to 127.0.0.1 unless told otherwise, guarded by a random token, and
 * audited like any mount: every read is written to the same store, naming the local user who started
 * it (the holder of the token).
 */

export interface ServeOptions {
  store: string;
  host?: string;
  port?: number;
}

export interface RunningServer {
  /** The page's address with its token, as printed. */
  url: string;
  /** The address without the token. */
  origin: string;
  token: string;
  close(): Promise<void>;
}

export async function serve(options: ServeOptions): Promise<RunningServer> {
  const store = await openStoreUrl(options.store);
  const token = newToken();
  const viewer = operatorName();
  const auditor = createAuditor({ sinks: [{ transport: store.transport }] });
  const api = createAuditLogApi({ store, auditor, authorize: bearerAuthorize(token, viewer), dashboard: createDashboard() });

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    api({
      method: req.method ?? 'GET',
      path: q < 0 ? url : url.slice(0, q),
      query: q < 0 ? '' : url.slice(q + 1),
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress,
      url,
    }).then(
      (response) => send(res, response),
      (err: unknown) => {
        // A store failure before the answer started: say so without detail, log it for the operator.
        process.stderr.write(`auditkit serve: ${(err as Error)?.message ?? String(err)}\n`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end('{"code":"internal"}');
      },
    );
  });
  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
  } catch (err) {
    await auditor.close();
    await store.close();
    throw err;
  }
  const address = server.address() as AddressInfo;
  const origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    close: () =>
      (closing ??= (async () => {
        await api.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await auditor.close();
        await store.close();
      })()),
  };
}

function send(res: http.ServerResponse, response: ApiResponse): void {
  res.writeHead(response.status, response.headers);
  if (response.stream === undefined) {
    res.end(response.body ?? '');
    return;
  }
  pipeline(response.stream, res, () => undefined);
}

function operatorName(): string {
  try {
    return userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
}
