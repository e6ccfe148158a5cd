import { DISTINCT_SAMPLE, MATCH_FIELDS, type DistinctField } from '@auditkit/store';
import { VIEW_EVENT } from '../access/read-audit.js';
import { badParameter } from '../http/errors.js';
import { json } from '../http/responses.js';
import type { ApiResponse } from '../http/types.js';
import { FILTER_PARAMETERS, parseFilter } from '../params/filter.js';
import { integerParam } from '../params/numbers.js';
import { describeParams, filtersOf, type ApiContext, type Call } from './call.js';

/**
 * `GET /distinct/:field`: the values a filter menu offers, most frequent first, within the filters and
 * scope. Stores count values over their newest DISTINCT_SAMPLE (100,000) matching records, so on a larger
 * result the counts are a sample: `count_exact` says which.
 */

export const DISTINCT_PARAMETERS = [...FILTER_PARAMETERS, 'limit'];
export const DISTINCT_FIELDS: readonly DistinctField[] = [...MATCH_FIELDS, 'http_status_code'];

export async function distinctValues(ctx: ApiContext, call: Call, rawField: string): Promise<ApiResponse> {
  const field = DISTINCT_FIELDS.find((f) => f === rawField);
  if (field === undefined) throw badParameter('field', `${JSON.stringify(rawField.slice(0, 32))} has no distinct values`, DISTINCT_FIELDS.join(', '));
  const limit = integerParam('limit', call.params.get('limit'), 100, 1, 1000);
  const filters = filtersOf(parseFilter(call.params), call.viewer);
  const values = await ctx.options.store.distinct(field, filters, limit);
  const matching = await ctx.options.store.count(filters, DISTINCT_SAMPLE);
  await ctx.reads.read(VIEW_EVENT, call.request, call.viewer, {
    endpoint: call.endpoint,
    ...describeParams(call.params),
    count: values.length,
    extra: { field },
  });
  return json(200, { field, values, count_exact: matching.exact && matching.value < DISTINCT_SAMPLE });
}
