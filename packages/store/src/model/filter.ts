/**
 * The one filter model. The API parses query parameters into an `AuditFilter` once; each backend
 * turns it into its own SQL. Nothing else parses parameters and nothing else builds SQL.
 */

/** Exact-match fields, each a column with an index that leads with it and ends with time. */
export type MatchField =
  | 'node'
  | 'from'
  | 'source'
  | 'operation_id'
  | 'operation_type'
  | 'operation_result'
  | 'http_method'
  | 'request_id'
  | 'event'
  | 'target_type'
  | 'target_id';

/** Every MatchField, in the order the columns are declared. */
export const MATCH_FIELDS: readonly MatchField[] = Object.freeze([
  'node',
  'from',
  'source',
  'operation_id',
  'operation_type',
  'operation_result',
  'http_method',
  'request_id',
  'event',
  'target_type',
  'target_id',
]);

/** The fields `distinct()` answers for. */
export type DistinctField = MatchField | 'http_status_code';

/** OR of `values`; with `negate`, none of them. An empty `values` matches nothing (negated: everything). */
export interface ValueMatch {
  values: string[];
  negate: boolean;
}

/** A CIDR block, `network` written in its family's usual text form (`10.0.0.0`, `2001:db8::`). */
export interface Cidr {
  family: 4 | 6;
  network: string;
  prefix: number;
}

/** OR of exact addresses and CIDR blocks; with `negate`, none of them. */
export interface IpMatch {
  addresses: string[];
  cidrs: Cidr[];
  negate: boolean;
}

/** Inclusive bounds; a missing bound is open. */
export interface Range {
  gte?: number;
  lte?: number;
}

/** OR of exact codes and ranges; with `negate`, none of them. */
export interface StatusMatch {
  values: number[];
  ranges: Range[];
  negate: boolean;
}

export interface AuditFilter {
  match?: Partial<Record<MatchField, ValueMatch>>;
  source_ip?: IpMatch;
  http_status_code?: StatusMatch;
  /** The record's `time`, epoch µs. */
  time?: Range;
  duration_ms?: Range;
  /** Free text (`q`): case-insensitive substring of the record's searchable text (see docs/store.md). */
  text?: string;
}

/** Several filters are ANDed: the query's own and the viewer's scope. */
export type FilterSet = readonly AuditFilter[];
