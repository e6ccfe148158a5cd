import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDashboard } from '@auditkit/dashboard';
import { openSqliteStore, type SqliteStore } from '@auditkit/store';
import type { AuthorizeRequest } from '@auditkit/api';
import { startApiApp, type ApiApp, type Framework } from '../../api/test/apps.js';
import { seedLines } from './fixtures.js';

/**
 * The dashboard mounted in a real application on each framework, behind a cookie session as an app
 * would have it: `session=auditor` reads, `session=mallory` is refused (403), no session is 401, and
 * `revoke()` makes authorize refuse the auditor from then on.
 */

export interface MountedDashboard {
  app: ApiApp;
  store: SqliteStore;
  /** The page: the mount with its trailing slash. */
  pageUrl: string;
  revoke(): void;
  close(): Promise<void>;
}

export async function mountDashboard(framework: Framework, lines: readonly string[] = seedLines(Date.now() * 1000)): Promise<MountedDashboard> {
  const dir = mkdtempSync(join(tmpdir(), 'auditkit-dashboard-'));
  const store = await openSqliteStore({ path: join(dir, 'audit.db'), maxAgeDays: null });
  await store.write(lines);
  let revoked = false;
  const authorize = (request: AuthorizeRequest): { viewer: string } | false => {
    const session = request.cookies.session;
    if (session === 'mallory') throw Object.assign(new Error('not an auditor'), { status: 403 });
    if (session === 'auditor' && !revoked) return { viewer: 'auditor' };
    return false;
  };
  const app = await startApiApp(framework, { store, authorize, api: { dashboard: createDashboard(), live: { pollMs: 100 } } });
  return {
    app,
    store,
    pageUrl: `${app.url}/admin/audit/`,
    revoke: () => void (revoked = true),
    close: async () => {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
