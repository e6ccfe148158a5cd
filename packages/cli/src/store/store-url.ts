import type { AuditStore, Cursor, InsertResult } from '@auditkit/store';

/** What import and reconcile need of a store, beyond the query interface. */
export interface AdminStore extends AuditStore {
  write(lines: readonly string[]): Promise<InsertResult>;
  oldest(): Promise<Cursor | null>;
}

/**
 * Opens a store from a URL: `sqlite:./audit.db` (or `sqlite:/abs/audit.db`), or
 * `postgres://user@host:5432/db?schema=auditkit`.
 *
 * The command line never deletes anything: it opens the store with retention off, because it cannot
 * know the limits the application runs with (opening with the defaults would enforce them). Limits it
 * needs to respect are given as flags (`--max-age-days`).
 */
export async function openStoreUrl(url: string): Promise<AdminStore> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new Error('--store sqlite: needs a file, e.g. sqlite:./data/audit.db');
    const { openSqliteStore } = await import('@auditkit/store');
    return openSqliteStore({ path, maxRecords: null, maxAgeDays: null, thread: 'main' });
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema') ?? undefined;
    parsed.searchParams.delete('schema');
    let mod: typeof import('@auditkit/store-postgres');
    try {
      mod = await import('@auditkit/store-postgres');
    } catch {
      throw new Error('a postgres:// store needs @auditkit/store-postgres: npm install @auditkit/store-postgres');
    }
    return mod.openPostgresStore({ connectionString: parsed.toString(), ...(schema ? { schema } : {}), maxRecords: null, maxAgeDays: null });
  }
  throw new Error(`--store must be sqlite:<file> or postgres://…, got ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//…@'))}`);
}
