/**
 * One instance of a fleet, for fleet.test.ts: an Express app audited into the PostgreSQL store
 * (blocking mode, so a response means its record is committed or durably spooled), with a spool of
 * its own. Prints its port; GET /_seen answers the request ids of every record in the store.
 *
 *   node --import tsx fleet-app.ts <schema> <node name> <spool dir> [application_name]
 */
import express from 'express';
import { audit } from '@auditkit/express';
import { openPostgresStore } from '@auditkit/store-postgres';
import { PG_URL } from './pg-helpers.js';

const [schema, node, spoolDir, appName] = process.argv.slice(2) as [string, string, string, string | undefined];
const url = appName ? `${PG_URL}?application_name=${appName}` : PG_URL;
const store = await openPostgresStore({ connectionString: url, schema, liveLagMs: 0 });
const app = express();
app.use(audit({ node, sinks: [{ transport: store.transport, mode: 'blocking', spool: { dir: spoolDir }, queue: { writeTimeoutMs: 800, retryMs: 100, retryMaxMs: 300 } }] }));
app.put('/items/:n', (_req, res) => void res.json({ ok: true }));
app.get('/_seen', async (_req, res) => {
  const ids: string[] = [];
  for await (const batch of store.scan([{ match: { event: { values: ['request'], negate: false } } }], 500)) {
    for (const line of batch) ids.push((JSON.parse(line) as { request_id: string }).request_id);
  }
  res.json(ids);
});
const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`port ${(server.address() as { port: number }).port}\n`));
