import type { Cursor, FilterSet } from '@auditkit/store';
import { VIEW_EVENT } from '../access/read-audit.js';
import { badParameter } from '../http/errors.js';
import { jsonText } from '../http/responses.js';
import type { ApiResponse } from '../http/types.js';
import { decodePageCursor, encodePageCursor } from '../params/cursor-token.js';
import { FILTER_PARAMETERS, parseFilter } from '../params/filter.js';
import { choiceParam, integerParam } from '../params/numbers.js';
import { describeParams, filtersOf, type ApiContext, type Call } from './call.js';

/**
 * `GET /records`: a page of matching records, newest first, by keyset cursor in either direction.
 * With `page` it answers in EMQX's shape instead, so tools written for `GET /api/v5/audit` work.
 * The body is assembled from the stored lines: each record is byte for byte what the sinks wrote.
 */

export const RECORDS_PARAMETERS = [...FILTER_PARAMETERS, 'limit', 'cursor', 'page', 'count'];

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;
/** How many records page-walking reads per store query (they are read and dropped). */
const WALK_CHUNK = 1000;

export async function listRecords(ctx: ApiContext, call: Call): Promise<ApiResponse> {
  const { params, viewer } = call;
  const limit = integerParam('limit', params.get('limit'), DEFAULT_LIMIT, 1, MAX_LIMIT);
  const wantCount = params.has('count') && choiceParam('count', params.get('count'), ['exact'], 'exact') === 'exact';
  const filters = filtersOf(parseFilter(params), viewer);
  const pageText = params.get('page');
  if (pageText !== undefined && params.has('cursor')) throw badParameter('page', 'cannot be combined with cursor', 'either page (EMQX compatibility) or cursor');

  let body: string;
  let returned: number;
  if (pageText !== undefined) {
    const page = integerParam('page', pageText, 1, 1, Number.MAX_SAFE_INTEGER);
    if ((page - 1) * limit > ctx.options.maxPageDepth) {
      throw badParameter('page', `page ${page} of ${limit} starts beyond record ${ctx.options.maxPageDepth}`, `(page - 1) × limit up to ${ctx.options.maxPageDepth}; to go deeper, follow next_cursor (cursor paging has no depth limit)`);
    }
    const { lines, hasnext } = await emqxPage(ctx, filters, page, limit);
    const count = wantCount ? await ctx.options.store.count(filters, ctx.options.countCap) : undefined;
    const meta = `"meta":{"page":${page},"limit":${limit},"hasnext":${hasnext}${count === undefined ? '' : `,"count":${count.value}${count.exact ? '' : ',"count_exact":false'}`}}`;
    body = `{"data":[${lines.join(',')}],${meta}}`;
    returned = lines.length;
  } else {
    const cursorText = params.get('cursor');
    const position = cursorText === undefined ? undefined : decodePageCursor('cursor', cursorText);
    const page = await ctx.options.store.query(filters, {
      limit,
      ...(position === undefined ? {} : { after: position.cursor }),
      direction: position?.direction ?? 'older',
    });
    const count = wantCount ? await ctx.options.store.count(filters, ctx.options.countCap) : undefined;
    body =
      `{"data":[${page.lines.join(',')}],"next_cursor":${cursorJson(page.next, 'older')},"prev_cursor":${cursorJson(page.prev, 'newer')}` +
      (count === undefined ? '' : `,"count":{"value":${count.value},"exact":${count.exact}}`) +
      '}';
    returned = page.lines.length;
  }
  await ctx.reads.read(VIEW_EVENT, call.request, viewer, { endpoint: call.endpoint, ...describeParams(params), count: returned });
  return jsonText(200, body);
}

function cursorJson(cursor: Cursor | null, direction: 'older' | 'newer'): string {
  return cursor === null ? 'null' : `"${encodePageCursor(cursor, direction)}"`;
}

/**
 * EMQX's page N: the keyset walked past (N-1) × limit records. This is the offset cost EMQX pays
 * too, which is why it is bounded by maxPageDepth; cursor paging costs the same at any depth.
 */
async function emqxPage(ctx: ApiContext, filters: FilterSet, page: number, limit: number): Promise<{ lines: string[]; hasnext: boolean }> {
  const store = ctx.options.store;
  let after: Cursor | undefined;
  let skip = (page - 1) * limit;
  while (skip > 0) {
    const chunk = Math.min(skip, WALK_CHUNK);
    const walked = await store.query(filters, { limit: chunk, ...(after === undefined ? {} : { after }), direction: 'older' });
    if (walked.lines.length < chunk || walked.next === null) return { lines: [], hasnext: false };
    after = walked.next;
    skip -= chunk;
  }
  const result = await store.query(filters, { limit, ...(after === undefined ? {} : { after }), direction: 'older' });
  return { lines: result.lines, hasnext: result.next !== null };
}
