/**
 * @auditkit/store-postgres: the auditkit store on PostgreSQL, for a fleet of instances writing to one
 * database. Same model and query semantics as the SQLite store in @auditkit/store.
 */
export { PostgresStore, openPostgresStore } from './store.js';
export type { PostgresStoreOptions } from './options.js';
export type { UpkeepReport } from './upkeep.js';
export { PG_MIGRATIONS } from './schema.js';
