import { MATCH_FIELDS } from '@auditkit/store';

/**
 * The PostgreSQL schema as numbered migrations, applied on open in one transaction under an advisory
 * lock (see migrate.ts), so N instances starting at once apply each exactly once.
 *
 * - `records` is range-partitioned by `time` (epoch µs as bigint: `pg` would turn a timestamptz into
 *   a millisecond Date). Partitions are one UTC day each, created ahead of time (partitions.ts).
 * - The primary key is (id, time): a record's id and time never change, so a replayed batch hits it
 *   and is skipped (ON CONFLICT DO NOTHING); PostgreSQL requires the partition key in it.
 * - Every filterable field has an index that leads with it and ends with time (ties on time are put
 *   in id order by an incremental sort of just those rows; the 36-byte id in 14 indexes costs writes).
 * - Text columns use the "C" collation: byte order, as SQLite's BINARY, so both backends sort ids and
 *   values alike (and the B-trees compare faster).
 * - Free text: a pg_trgm GIN index on the lower-cased searchable text, queried with LIKE.
 */

export interface Migration {
  version: number;
  description: string;
  sql(schema: string, trgmSchema: string): string;
}

const indexed = [...MATCH_FIELDS, 'ip_key', 'http_status_code', 'duration_ms'];

export const q = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'records partitioned by time, their indexes, free text',
    sql: (schema, trgm) => `
      CREATE TABLE ${q(schema)}.records (
        time bigint NOT NULL,
        id text COLLATE "C" NOT NULL,
        stored_at bigint NOT NULL DEFAULT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint,
        ${MATCH_FIELDS.map((f) => `${q(f)} text COLLATE "C"`).join(',\n        ')},
        source_ip text COLLATE "C",
        ip_key bytea,
        http_status_code integer,
        duration_ms double precision,
        search_text text COLLATE "C" NOT NULL,
        line text NOT NULL,
        PRIMARY KEY (id, time)
      ) PARTITION BY RANGE (time);
      CREATE INDEX records_time ON ${q(schema)}.records (time, id);
      CREATE INDEX records_stored_at ON ${q(schema)}.records (stored_at, id);
      ${indexed.map((f) => `CREATE INDEX ${q(`records_${f}`)} ON ${q(schema)}.records (${q(f)}, time);`).join('\n      ')}
      CREATE INDEX records_search_text ON ${q(schema)}.records USING gin (search_text ${q(trgm)}.gin_trgm_ops);
    `,
  },
];
