import { EXPORT_EVENT } from '../access/read-audit.js';
import { baseHeaders } from '../http/responses.js';
import type { ApiResponse } from '../http/types.js';
import { csvComment, csvHeader, csvRow } from '../format/csv.js';
import { FILTER_PARAMETERS, parseFilter } from '../params/filter.js';
import { choiceParam } from '../params/numbers.js';
import { pullStream } from '../stream/pull-stream.js';
import { describeParams, filtersOf, reportFault, type ApiContext, type Call } from './call.js';

/**
 * `GET /records/export?format=ndjson|csv`: the whole result, newest first, streamed from the store by
 * keyset in batches, as fast as the client reads (constant memory, whatever the size). Never cut
 * silently: the last line states the count and whether the export is complete.
 *
 * - NDJSON: one stored line per record, then `{"export_end":{"complete":true,"count":N}}`. It has no
 *   `id`, so no record can be mistaken for it (`jq 'select(.id)'` keeps the records).
 * - CSV: a header row, one row per record, then `# export complete: N records`.
 * - A store failure midway ends with `complete: false` (CSV: `# export failed after N records`).
 * - A body without its last line was cut in transit.
 *
 * The export is recorded (`audit.log.export`) when it ends, with the count sent and how it ended.
 */

export const EXPORT_PARAMETERS = [...FILTER_PARAMETERS, 'format'];

export async function exportRecords(ctx: ApiContext, call: Call): Promise<ApiResponse> {
  const { params, viewer } = call;
  const format = choiceParam('format', params.get('format'), ['ndjson', 'csv'] as const, 'ndjson');
  const filters = filtersOf(parseFilter(params), viewer);
  const { store, exportBatchSize } = ctx.options;

  const stream = pullStream(async function* exportBody(signal) {
    let count = 0;
    let complete = false;
    let failed = false;
    try {
      if (format === 'csv') yield csvHeader();
      for await (const batch of store.scan(filters, exportBatchSize)) {
        if (batch.length === 0) continue;
        yield format === 'csv' ? batch.map(csvRow).join('') : batch.join('\n') + '\n';
        count += batch.length;
        if (signal.aborted) return;
      }
      complete = true;
      yield format === 'csv' ? csvComment(`export complete: ${count} records`) : `{"export_end":{"complete":true,"count":${count}}}\n`;
    } catch (err) {
      failed = true;
      reportFault(ctx.options, `an export failed after ${count} records: ${(err as Error)?.message ?? String(err)}`, err);
      yield format === 'csv'
        ? csvComment(`export failed after ${count} records: the store stopped answering; this file is incomplete`)
        : `{"export_end":{"complete":false,"count":${count},"error":"the store stopped answering; this export is incomplete"}}\n`;
    } finally {
      const ending = complete ? 'complete' : failed ? 'failed' : 'cancelled';
      await ctx.reads
        .read(EXPORT_EVENT, call.request, viewer, { endpoint: call.endpoint, ...describeParams(params), count, extra: { format, ending } })
        .catch(() => undefined);
    }
  });

  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const headers = baseHeaders(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
  headers['content-disposition'] = `attachment; filename="audit-${stamp}.${format === 'csv' ? 'csv' : 'ndjson'}"`;
  return { status: 200, headers, stream };
}
