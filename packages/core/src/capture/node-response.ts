import type { ServerResponse } from 'node:http';
import type { AuditContext } from './context.js';
import type { CompletionFacts } from './facts.js';

/**
 * Completion, as every adapter sees it: a Node response emits `close` exactly once, right after
 * `finish` (the last byte handed to the OS) or when the connection goes first; `close` before
 * `finish` means the client left. Express, Fastify and Koa all sit on a Node ServerResponse, so they
 * share this instead of each framework's own hook (Fastify's onRequestAbort, for one, misses a client
 * that leaves after its body has arrived).
 *
 * One module-level listener, and the per-request state on the response under a symbol: watching a
 * request allocates one small object and no closure.
 */

const kWatch = Symbol('auditkit.watch');

interface Watch<Carrier> {
  ctx: AuditContext<Carrier>;
  carrier: Carrier;
  facts: (carrier: Carrier, res: ServerResponse, aborted: boolean) => CompletionFacts;
}

type WatchedResponse = ServerResponse & { [kWatch]?: Watch<unknown> };

export function watchNodeResponse<Carrier>(
  res: ServerResponse,
  ctx: AuditContext<Carrier>,
  carrier: Carrier,
  facts: (carrier: Carrier, res: ServerResponse, aborted: boolean) => CompletionFacts,
): void {
  const watched = res as WatchedResponse;
  if (watched[kWatch]) return;
  watched[kWatch] = { ctx, carrier, facts } as Watch<unknown>;
  res.on('close', onClose);
}

function onClose(this: WatchedResponse): void {
  done(this, !this.writableFinished);
}

function done(res: WatchedResponse, aborted: boolean): void {
  const watch = res[kWatch];
  if (!watch) return;
  res[kWatch] = undefined;
  let facts: CompletionFacts;
  try {
    facts = watch.facts(watch.carrier, res, aborted);
  } catch {
    // The adapter could not read its framework's objects; record what the response itself says.
    facts = { route: undefined, params: undefined, query: undefined, body: undefined, statusCode: res.statusCode, aborted, headersSent: res.headersSent };
  }
  watch.ctx.complete(facts);
}
