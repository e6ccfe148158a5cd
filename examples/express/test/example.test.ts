import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describeExample } from '../../../scripts/lib/team-api-scenario.js';
import { createApp } from '../src/app.js';

describeExample(
  'express',
  async (file) => {
    const { app, audit } = createApp({ file });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { server, close: async () => { await new Promise((r) => server.close(r)); await audit.close(); } };
  },
  fileURLToPath(new URL('../src/server.ts', import.meta.url)),
);
