/**
 * @auditkit/store: the queryable audit store. The model (filter, cursor, store interface) that the
 * query API and every backend share, and the embedded SQLite backend.
 */
export {
  MATCH_FIELDS,
  decodeCursor,
  encodeCursor,
  type AuditFilter,
  type AuditStore,
  type Cidr,
  type CountResult,
  type Cursor,
  type DistinctField,
  type DistinctValue,
  type FilterSet,
  type HistogramBucket,
  type IpMatch,
  type MatchField,
  type PageRequest,
  type Range,
  type StatusMatch,
  type StoredPage,
  type ValueMatch,
} from './model/index.js';
export { SqliteStore, openSqliteStore, type SqliteStoreOptions } from './sqlite/store.js';
export { prepareBatch, type InsertResult, type PreparedBatch } from './record/batch.js';
export {
  DEFAULT_MAX_AGE_DAYS,
  DEFAULT_MAX_RECORDS,
  DEFAULT_RETENTION_INTERVAL_MS,
  DAY_MICROS,
  ageCutoff,
  resolveRetention,
  type RetentionOptions,
  type RetentionPolicy,
} from './retention/policy.js';
export { UpkeepSchedule } from './retention/schedule.js';
/** For backends: the shared row extraction, SQL conditions and result shaping. */
export { recordRow, columnValue, UnstorableLine, type RecordRow } from './record/columns.js';
export { searchText, normaliseQueryText, MAX_SEARCH_TEXT, type SearchTextOptions } from './record/search-text.js';
export { ipKey, cidrRange } from './record/ip-key.js';
export { SqlParams } from './sql/params.js';
export type { SqlDialect } from './sql/dialect.js';
export { col, filterSetConditions, keysetCondition, whereSql } from './sql/where.js';
export { bucketWidth, fillBuckets, LIVE_START, pageOf, scanByKeyset, type PageRow } from './sql/results.js';
export {
  DISTINCT_SAMPLE,
  countStatement,
  distinctStatement,
  getStatement,
  histogramStatement,
  livePositionStatement,
  pageStatement,
  sinceStatement,
  type Statement,
} from './sql/statements.js';
export { StoreTransport, type BatchWriter } from './sink/store-transport.js';
