import { AuditFileTransport } from '@auditkit/core';
import { createDashboard } from '@auditkit/dashboard';
import { auditLog } from '@auditkit/express';
import { openSqliteStore } from '@auditkit/store';
import { createApp } from './app.js';
import { viewerAccess } from './viewer-access.js';

// The trail goes to a JSON-lines file and to the embedded SQLite store, which the query API and the
// dashboard at /admin/audit read back. Reading it takes the viewer token; every read is itself audited.
const store = await openSqliteStore({ path: './data/audit.db' });
const { app, audit } = createApp({ sinks: [new AuditFileTransport(), store.transport] });
const access = viewerAccess();
const auditLogMount = auditLog({ store, auditor: audit, authorize: access.authorize, dashboard: createDashboard() });
app.use('/admin/audit', auditLogMount);

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  console.log(`express example on ${url}, audit trail in ./log/audit.log and ./data/audit.db`);
  console.log(`audit log API and dashboard: ${url}/admin/audit/ (${access.describe()})`);
});

// Stop taking requests first (live feeds end), then let auditkit write every record it accepted,
// then close the store.
process.once('SIGTERM', () => {
  void auditLogMount.close();
  server.close(() => void audit.close().then(() => store.close()));
});
