import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL the tests use: 127.0.0.1:5432, database `test` (trust auth), as CI provides. A test
 * that needs it fails when it is down: it never skips. Each test run works in schemas of its own,
 * dropped at the end.
 */
export const PG_URL = process.env.AUDITKIT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export function freshSchemaName(): string {
  return `akt_${randomBytes(6).toString('hex')}`;
}

export async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
