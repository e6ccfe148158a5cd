import { parentPort, workerData } from 'node:worker_threads';
import { loadDriver } from './driver.js';
import { SqliteEngine, type SqliteEngineSettings } from './engine.js';
import type { WorkerReply } from './host.js';

/** The SQLite worker thread: one engine, requests answered in the order they arrive. */

function describe(err: unknown): WorkerReply['error'] {
  const e = err as { name?: string; message?: string; code?: unknown };
  return { name: e?.name ?? 'Error', message: e?.message ?? String(err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) };
}

const port = parentPort!;
let engine: SqliteEngine | undefined;
try {
  engine = new SqliteEngine(loadDriver(), (workerData as { settings: SqliteEngineSettings }).settings);
  port.postMessage({ id: 0, ok: true } satisfies WorkerReply);
} catch (err) {
  port.postMessage({ id: 0, ok: false, error: describe(err) } satisfies WorkerReply);
}

port.on('message', (message: { id: number; op: string; args: unknown[] }) => {
  if (message.op === 'close' || engine === undefined) {
    engine?.close();
    port.close();
    return;
  }
  try {
    const value = (engine[message.op as 'count'] as (...a: unknown[]) => unknown)(...message.args);
    port.postMessage({ id: message.id, ok: true, value } satisfies WorkerReply);
  } catch (err) {
    port.postMessage({ id: message.id, ok: false, error: describe(err) } satisfies WorkerReply);
  }
});
