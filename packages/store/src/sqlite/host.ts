import { Worker } from 'node:worker_threads';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqliteEngine, SqliteEngineSettings } from './engine.js';

/**
 * Where the engine runs. better-sqlite3 is synchronous: on the application's thread a batch insert
 * stops the event loop for as long as it takes (measured in docs/benchmarks-store.md: several ms per
 * batch of 256 records under load, mostly the trigram index). So by default the engine lives in a
 * worker thread and the application's thread only posts batches and queries to it; `thread: 'main'`
 * keeps it inline (no thread, for scripts and the CLI).
 */

type Ops = Pick<SqliteEngine, 'insert' | 'query' | 'get' | 'count' | 'distinct' | 'histogram' | 'since' | 'oldest' | 'recordCount' | 'retentionStep' | 'checkpoint' | 'explain'>;
export type EngineOp = keyof Ops;

export interface EngineHost {
  call<K extends EngineOp>(op: K, ...args: Parameters<Ops[K]>): Promise<ReturnType<Ops[K]>>;
  close(): Promise<void>;
}

export class InlineHost implements EngineHost {
  readonly #engine: SqliteEngine;

  constructor(engine: SqliteEngine) {
    this.#engine = engine;
  }

  call<K extends EngineOp>(op: K, ...args: Parameters<Ops[K]>): Promise<ReturnType<Ops[K]>> {
    try {
      return Promise.resolve((this.#engine[op] as (...a: unknown[]) => ReturnType<Ops[K]>)(...args));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  close(): Promise<void> {
    this.#engine.close();
    return Promise.resolve();
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export interface WorkerReply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: { name: string; message: string; code?: string };
}

function workerFile(): string {
  // The worker is built beside the package's entry: dist/sqlite-worker.js (ES module build, which has
  // import.meta.url) or dist/sqlite-worker.cjs (CommonJS build, whose import.meta is empty).
  const url = import.meta.url as string | undefined;
  if (url !== undefined) return fileURLToPath(new URL('./sqlite-worker.js', url));
  return join(dirname(__filename), 'sqlite-worker.cjs');
}

function revive(error: WorkerReply['error']): Error {
  const err = new Error(error?.message ?? 'the SQLite worker failed') as Error & { code?: string };
  err.name = error?.name ?? 'Error';
  if (error?.code !== undefined) err.code = error.code;
  return err;
}

export class WorkerHost implements EngineHost {
  readonly #settings: SqliteEngineSettings;
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  #next = 1;
  readonly #pending = new Map<number, Pending>();
  #closed = false;

  constructor(settings: SqliteEngineSettings) {
    this.#settings = settings;
  }

  /** Starts the worker and waits for the database to be open and migrated. */
  start(): Promise<void> {
    if (this.#ready) return this.#ready;
    const worker = new Worker(workerFile(), { workerData: { settings: this.#settings } });
    this.#worker = worker;
    this.#ready = new Promise<void>((resolve, reject) => {
      const onFirst = (message: WorkerReply): void => {
        if (message.id !== 0) return;
        worker.off('message', onFirst);
        if (message.ok) resolve();
        else reject(revive(message.error));
      };
      worker.on('message', onFirst);
      worker.once('error', reject);
    });
    worker.on('message', (message: WorkerReply) => {
      if (message.id === 0) return;
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (this.#pending.size === 0) worker.unref();
      if (message.ok) pending.resolve(message.value);
      else pending.reject(revive(message.error));
    });
    worker.on('error', (err) => this.#lost(worker, err));
    worker.on('exit', (code) => this.#lost(worker, new Error(`the SQLite worker exited (code ${code})`)));
    // Restarted on the next call when it was lost; a failed start is reported to the caller.
    this.#ready.then(
      () => {
        if (this.#pending.size === 0) worker.unref();
      },
      () => {
        // The database did not open: the thread has nothing to do and must not keep the process alive.
        this.#worker = undefined;
        this.#ready = undefined;
        void worker.terminate();
      },
    );
    return this.#ready;
  }

  #lost(worker: Worker, err: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    this.#ready = undefined;
    for (const pending of this.#pending.values()) pending.reject(err);
    this.#pending.clear();
  }

  async call<K extends EngineOp>(op: K, ...args: Parameters<Ops[K]>): Promise<ReturnType<Ops[K]>> {
    if (this.#closed) throw new Error('the SQLite store is closed');
    await this.start();
    const worker = this.#worker!;
    const id = this.#next++;
    return new Promise<ReturnType<Ops[K]>>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      // Only a worker with work outstanding keeps the process alive.
      worker.ref();
      worker.postMessage({ id, op, args });
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const worker = this.#worker;
    if (!worker) return;
    await this.#ready?.catch(() => undefined);
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.ref();
      worker.postMessage({ id: -1, op: 'close', args: [] });
    });
  }
}
