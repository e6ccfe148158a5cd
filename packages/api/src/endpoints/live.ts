import { LIVE_START } from '@auditkit/store';
import { VIEW_EVENT } from '../access/read-audit.js';
import { jsonText } from '../http/responses.js';
import type { ApiResponse } from '../http/types.js';
import { decodeLiveCursor, encodeLiveCursor } from '../params/cursor-token.js';
import { FILTER_PARAMETERS, parseFilter } from '../params/filter.js';
import { integerParam } from '../params/numbers.js';
import { describeParams, filtersOf, type ApiContext, type Call } from './call.js';

/**
 * `GET /live?after=<cursor>`: matching records that reached the store after the cursor, oldest first,
 * and the cursor to ask from next. Without `after` it answers no records and the cursor of "now", so
 * a poller starts where the trail is.
 */

export const LIVE_PARAMETERS = [...FILTER_PARAMETERS, 'after', 'limit'];

export async function livePoll(ctx: ApiContext, call: Call): Promise<ApiResponse> {
  const limit = integerParam('limit', call.params.get('limit'), 100, 1, 10_000);
  const filters = filtersOf(parseFilter(call.params), call.viewer);
  const afterText = call.params.get('after');
  const after = afterText === undefined ? null : decodeLiveCursor('after', afterText);
  // Without a cursor the store answers no records and its newest position.
  const page = await ctx.options.store.since(filters, after, limit);
  // A poll that brought only the records of earlier live reads is not recorded: recording it would
  // hand the next poll one more such record, and a live view would write to the trail forever.
  if (page.lines.some((line) => !isLiveRead(line))) {
    await ctx.reads.read(VIEW_EVENT, call.request, call.viewer, { endpoint: call.endpoint, ...describeParams(call.params), count: page.lines.length });
  }
  const next = page.next ?? after ?? LIVE_START;
  return jsonText(200, `{"data":[${page.lines.join(',')}],"next_cursor":"${encodeLiveCursor(next)}"}`);
}

/** The record of a live read (the poll's or a stream's own `audit.log.view`). */
export function isLiveRead(line: string): boolean {
  if (!line.includes(`"${VIEW_EVENT}"`)) return false;
  try {
    const r = JSON.parse(line) as { event?: unknown; meta?: { endpoint?: unknown } };
    return r.event === VIEW_EVENT && typeof r.meta?.endpoint === 'string' && r.meta.endpoint.startsWith('/live');
  } catch {
    return false;
  }
}
