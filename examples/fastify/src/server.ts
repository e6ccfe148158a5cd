import { AuditFileTransport } from '@auditkit/core';
import { createDashboard } from '@auditkit/dashboard';
import { auditLog } from '@auditkit/fastify';
import { openSqliteStore } from '@auditkit/store';
import { createApp } from './app.js';
import { viewerAccess } from './viewer-access.js';

// The trail goes to a JSON-lines file and to the embedded SQLite store, which the query API and the
// dashboard at /admin/audit read back. Reading it takes the viewer token; every read is itself audited.
const store = await openSqliteStore({ path: './data/audit.db' });
const app = await createApp({ sinks: [new AuditFileTransport(), store.transport] });
const access = viewerAccess();
await app.register(auditLog, { prefix: '/admin/audit', store, authorize: access.authorize, dashboard: createDashboard() });
const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`fastify example on ${address}, audit trail in ./log/audit.log and ./data/audit.db`);
console.log(`audit log API and dashboard: ${address}/admin/audit/ (${access.describe()})`);

// app.close() ends live feeds, stops the server and flushes the audit trail; then the store closes.
process.once('SIGTERM', () => void app.close().then(() => store.close()));
