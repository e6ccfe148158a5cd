import { LIVE_START } from '@auditkit/store';
import { VIEW_EVENT } from '../access/read-audit.js';
import { ApiError } from '../http/errors.js';
import { baseHeaders } from '../http/responses.js';
import type { ApiResponse } from '../http/types.js';
import { decodeLiveCursor, encodeLiveCursor } from '../params/cursor-token.js';
import { parseFilter } from '../params/filter.js';
import { integerParam } from '../params/numbers.js';
import { pullStream, type PullStream } from '../stream/pull-stream.js';
import { describeParams, filtersOf, reportFault, type ApiContext, type Call } from './call.js';
import { LIVE_PARAMETERS } from './live.js';

/**
 * `GET /live/stream`: the live feed as Server-Sent Events, one event `record` per record. The last
 * event of each batch carries the batch's live cursor as its `id`, so a reconnecting EventSource
 * resumes after the last batch it received whole (`Last-Event-ID`, which wins over `after`): at least
 * once, like every delivery in auditkit (dedupe by the record's `id`). The stream asks the store every
 * `live.pollMs` (the store is shared by a fleet, so it is the only place that knows of every record)
 * and sends a comment every `live.heartbeatMs` while idle, so proxies keep the connection.
 *
 * The stream is recorded when it opens and when it ends (with the number of records sent), not per
 * batch: the stream would otherwise deliver its own records and write one more each time.
 */

export const LIVE_STREAM_PARAMETERS = LIVE_PARAMETERS;

const RETRY_MS = 2000;

export async function liveStream(ctx: ApiContext, call: Call): Promise<ApiResponse> {
  if (ctx.closed()) throw new ApiError(503, 'audit_unavailable', 'The audit log API is shutting down.');
  const { params, viewer, request } = call;
  const limit = integerParam('limit', params.get('limit'), 100, 1, 10_000);
  const filters = filtersOf(parseFilter(params), viewer);
  const lastEventId = request.headers['last-event-id'];
  const resume = typeof lastEventId === 'string' && lastEventId.length > 0 ? lastEventId : undefined;
  const afterText = resume ?? params.get('after');
  const after = afterText === undefined ? null : decodeLiveCursor(resume !== undefined ? 'Last-Event-ID' : 'after', afterText);
  // Without a cursor the stream starts now: the store's newest position.
  const start = after ?? (await ctx.options.store.since(filters, null, 1)).next ?? LIVE_START;
  const described = describeParams(params);
  await ctx.reads.read(VIEW_EVENT, request, viewer, { endpoint: call.endpoint, ...described, extra: { live: 'opened' } });
  const { store, pollMs, heartbeatMs } = ctx.options;

  const stream: PullStream = pullStream(async function* liveEvents(signal) {
    let position = start;
    let sent = 0;
    let ending = 'client_left';
    try {
      yield `retry: ${RETRY_MS}\n: connected\n\n`;
      let idleSince = Date.now();
      while (!signal.aborted) {
        let page;
        try {
          page = await store.since(filters, position, limit);
        } catch (err) {
          ending = 'failed';
          reportFault(ctx.options, `a live stream stopped: the store failed (${(err as Error)?.message ?? String(err)})`, err);
          // EventSource reconnects after `retry` with Last-Event-ID, resuming where this left off.
          yield 'event: error\ndata: {"code":"store_unavailable"}\n\n';
          return;
        }
        if (page.lines.length > 0) {
          if (page.next !== null) position = page.next;
          const last = page.lines.length - 1;
          yield page.lines.map((line, i) => sseEvent(i === last ? encodeLiveCursor(position) : undefined, line)).join('');
          sent += page.lines.length;
          idleSince = Date.now();
          if (page.lines.length === limit) continue;
        } else if (Date.now() - idleSince >= heartbeatMs) {
          yield ': heartbeat\n\n';
          idleSince = Date.now();
        }
        await sleep(pollMs, signal);
      }
      if (ctx.closed()) ending = 'server_closed';
    } finally {
      ctx.streams.delete(stream);
      await ctx.reads.read(VIEW_EVENT, request, viewer, { endpoint: call.endpoint, ...described, count: sent, extra: { live: ending } }).catch(() => undefined);
    }
  });
  ctx.streams.add(stream);
  const headers = baseHeaders('text/event-stream; charset=utf-8');
  headers['cache-control'] = 'no-store, no-transform';
  // nginx buffers responses unless told not to; an event must not wait for a buffer to fill.
  headers['x-accel-buffering'] = 'no';
  return { status: 200, headers, stream };
}

/** One SSE event. Stored lines are single-line JSON; a line with a line break is split so it cannot end the event early. */
function sseEvent(id: string | undefined, line: string): string {
  const data = /[\r\n]/.test(line) ? line.split(/\r\n|\r|\n/).join('\ndata: ') : line;
  return `${id === undefined ? '' : `id: ${id}\n`}event: record\ndata: ${data}\n\n`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
