import type { Auditor } from '@auditkit/core';
import { ApiError } from '../http/errors.js';
import type { ApiRequest } from '../http/types.js';
import type { Viewer } from './viewer.js';

/**
 * Every read of the trail leaves a record in the trail (PCI DSS 10.2.1.3: all access to audit logs):
 * `audit.log.view` for a page, a record, distinct values, a histogram or the live feed, and
 * `audit.log.export` for an export, naming the viewer, what they asked (filters and scope) and how
 * many records they received. Nothing a client sends can switch this off; with a strict sink that
 * cannot take the record, the read is refused (503) as strict mode refuses a request.
 */

export const VIEW_EVENT = 'audit.log.view';
export const EXPORT_EVENT = 'audit.log.export';

export interface ReadDetails {
  /** The endpoint, e.g. `/records`, `/records/export`, `/live/stream`. */
  endpoint: string;
  /** Filter parameters as the client gave them. */
  filters: Record<string, string>;
  /** Other parameters (limit, cursor, page, format, ...). */
  parameters?: Record<string, string>;
  /** Records (or values, or buckets) returned. */
  count?: number;
  /** Anything else worth keeping (the record id asked for, whether an export completed, ...). */
  extra?: Record<string, unknown>;
}

export class ReadAudit {
  readonly #auditor: Auditor;

  constructor(auditor: Auditor) {
    this.#auditor = auditor;
  }

  /** Records a read; throws a 503 ApiError when a strict sink refused the record. */
  async read(event: typeof VIEW_EVENT | typeof EXPORT_EVENT, request: ApiRequest, viewer: Viewer, details: ReadDetails): Promise<void> {
    const meta: Record<string, unknown> = {
      endpoint: details.endpoint,
      filters: details.filters,
      scope: viewer.scopeParams ?? null,
    };
    if (details.parameters !== undefined && Object.keys(details.parameters).length > 0) meta.parameters = details.parameters;
    if (details.count !== undefined) meta.count = details.count;
    if (details.extra !== undefined) Object.assign(meta, details.extra);
    const accepted = await this.#auditor.record({
      event,
      source: viewer.name,
      from: 'rest_api',
      sourceIp: this.#sourceIp(request),
      requestId: this.#requestId(request),
      target: { type: 'audit_log' },
      meta,
    });
    if (!accepted) {
      throw new ApiError(503, 'audit_unavailable', 'This read could not be recorded in the audit trail, so it was refused. Retry later.');
    }
  }

  /** A refused read (401, 403): who tried is worth keeping too (PCI DSS 10.2.1.4). Never throws. */
  async denied(request: ApiRequest, endpoint: string, status: number): Promise<void> {
    await this.#auditor.record({
      event: VIEW_EVENT,
      source: null,
      from: 'rest_api',
      result: 'failure',
      sourceIp: this.#sourceIp(request),
      requestId: this.#requestId(request),
      target: { type: 'audit_log' },
      meta: { endpoint, status },
    });
  }

  #sourceIp(request: ApiRequest): string {
    return this.#auditor.options.sourceIp(request.remoteAddress, request.headers);
  }

  #requestId(request: ApiRequest): string | undefined {
    if (request.requestId !== undefined) return request.requestId;
    const header = request.headers[this.#auditor.requestIdHeader];
    return typeof header === 'string' ? header : undefined;
  }
}
