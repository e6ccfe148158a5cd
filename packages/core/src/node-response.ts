import type { ServerResponse } from 'node:http';
import type { AuditContext } from './context.js';
import type { CompletionFacts } from './facts.js';

/**
 * Completion, as every adapter sees it: the Node response emits `finish` once the last byte is handed
 * to the OS, and `close` when the connection goes; `close` without `finish` means the client left
 * first. Express, Fastify and Koa all sit on a Node ServerResponse, so they share this instead of
 * each framework's own hook (Fastify's onRequestAbort, for one, misses a client that leaves after its
 * body has arrived).
 *
 * The listeners are module-level functions and the per-request state lives on the response under a
 * symbol, so watching a request allocates one small object.
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
  res.once('finish', onFinish);
  res.once('close', onClose);
}

function onFinish(this: WatchedResponse): void {
  this.removeListener('close', onClose);
  done(this, false);
}

function onClose(this: WatchedResponse): void {
  this.removeListener('finish', onFinish);
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
