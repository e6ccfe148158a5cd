import { bucketWidth } from '@auditkit/store';
import { VIEW_EVENT } from '../access/read-audit.js';
import { badParameter } from '../http/errors.js';
import { json } from '../http/responses.js';
import type { ApiResponse } from '../http/types.js';
import { FILTER_PARAMETERS, parseFilter } from '../params/filter.js';
import { integerParam } from '../params/numbers.js';
import { describeParams, filtersOf, type ApiContext, type Call } from './call.js';

/**
 * `GET /histogram?buckets=N`: matching records (and failures) per equal slice of the time range: the
 * range the filters give, or the last 24 hours up to now when they give none.
 */

export const HISTOGRAM_PARAMETERS = [...FILTER_PARAMETERS, 'buckets'];
const DAY_US = 24 * 3600 * 1_000_000;

export async function histogram(ctx: ApiContext, call: Call): Promise<ApiResponse> {
  const buckets = integerParam('buckets', call.params.get('buckets'), 60, 1, 500);
  const filter = parseFilter(call.params);
  const to = filter.time?.lte ?? Date.now() * 1000;
  const from = filter.time?.gte ?? to - DAY_US;
  if (from > to) throw badParameter('gte_created_at', 'is in the future', 'a time before now, or give lte_created_at too');
  const rows = await ctx.options.store.histogram(filtersOf(filter, call.viewer), { from, to }, buckets);
  await ctx.reads.read(VIEW_EVENT, call.request, call.viewer, {
    endpoint: call.endpoint,
    ...describeParams(call.params),
    count: rows.reduce((n, b) => n + b.total, 0),
  });
  return json(200, { from, to, bucket_us: bucketWidth({ from, to }, buckets), buckets: rows });
}
