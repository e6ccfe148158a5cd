import { AuditFault } from '@auditkit/core';
import type { AuditFilter, FilterSet } from '@auditkit/store';
import type { ReadAudit } from '../access/read-audit.js';
import type { Viewer } from '../access/viewer.js';
import type { ApiRequest } from '../http/types.js';
import type { ResolvedApiOptions } from '../options.js';
import { FILTER_PARAMETERS } from '../params/filter.js';

/** What every endpoint works with: the options, the read auditor, and one authorized request. */
export interface ApiContext {
  readonly options: ResolvedApiOptions;
  readonly reads: ReadAudit;
  /** Live streams open now, ended by `api.close()`. */
  readonly streams: Set<{ destroy(): void }>;
  readonly closed: () => boolean;
}

export interface Call {
  request: ApiRequest;
  viewer: Viewer;
  /** The endpoint's path template, e.g. `/records/:id`, as the read's record names it. */
  endpoint: string;
  params: Map<string, string>;
}

/** The query's own filter ANDed with the viewer's scope. */
export function filtersOf(filter: AuditFilter, viewer: Viewer): FilterSet {
  return viewer.scope === undefined ? [filter] : [filter, viewer.scope];
}

/** Parameters split as the read's record keeps them: the filters, and the rest. */
export function describeParams(params: ReadonlyMap<string, string>): { filters: Record<string, string>; parameters: Record<string, string> } {
  const filters: Record<string, string> = {};
  const parameters: Record<string, string> = {};
  for (const [name, value] of params) (FILTER_PARAMETERS.includes(name) ? filters : parameters)[name] = value;
  return { filters, parameters };
}

/**
 * Something failed after the answer had started (an export's store query): it can no longer become an
 * error status, so the stream says so in its last line and the application hears it as a fault.
 */
export function reportFault(options: ResolvedApiOptions, message: string, cause: unknown): void {
  const fault = new AuditFault('AUDITKIT_SINK_FAILED', message, 'store', cause);
  const auditor = options.auditor;
  if (auditor.listenerCount('fault') > 0) {
    try {
      auditor.emit('fault', fault);
    } catch {
      // A throwing listener must not end the stream's cleanup.
    }
  } else {
    process.emitWarning(fault.message, { type: 'AuditkitWarning', code: fault.code });
  }
}
