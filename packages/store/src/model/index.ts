export { MATCH_FIELDS, type AuditFilter, type Cidr, type DistinctField, type FilterSet, type IpMatch, type MatchField, type Range, type StatusMatch, type ValueMatch } from './filter.js';
export { decodeCursor, encodeCursor, type Cursor } from './cursor.js';
export type { AuditStore, CountResult, DistinctValue, HistogramBucket, PageRequest, StoredPage } from './store.js';
