import type { CloseOptions } from '../auditor.js';

/**
 * An opt-in helper for graceful shutdown: on SIGTERM or SIGINT, stop the HTTP server, flush every
 * auditor (within a deadline), and then get out of the way.
 *
 * It does not steal the application's own handlers. Node calls every listener of a signal, so the
 * app's handlers still run. If auditkit's listener is the only one, it re-raises the signal once the
 * trail is flushed, so the process ends as it would have without auditkit (killed by the signal). If
 * the app has handlers of its own, they decide when the process exits; auditkit only flushes.
 */

export interface Closable {
  close(options?: CloseOptions): Promise<void>;
}

export interface ShutdownOptions {
  /** Default SIGTERM and SIGINT. */
  signals?: readonly NodeJS.Signals[];
  /** Stopped first, so no request completes after its auditor is closed. */
  server?: { close(callback?: (err?: Error) => void): unknown; closeIdleConnections?(): void };
  /** Deadline for flushing. Default 10000 ms. */
  timeoutMs?: number;
}

/** Installs the handlers; returns a function that removes them. */
export function closeOnSignals(auditors: Closable | readonly Closable[], options: ShutdownOptions = {}): () => void {
  const list = Array.isArray(auditors) ? [...(auditors as readonly Closable[])] : [auditors as Closable];
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let running: Promise<void> | undefined;

  const shutdown = async (): Promise<void> => {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    if (options.server) {
      const server = options.server;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections?.();
      });
    }
    await Promise.all(list.map((a) => a.close({ timeoutMs: Math.max(0, deadline - Date.now()) }).catch(() => undefined)));
  };

  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of signals) {
    const handler = (): void => {
      running ??= shutdown();
      void running.then(() => {
        process.removeListener(signal, handler);
        // Alone on this signal: end the process the way the signal would have.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  return () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  };
}
