import { fileURLToPath } from 'node:url';
import { describeExample } from '../../../scripts/lib/team-api-scenario.js';
import { createApp } from '../src/app.js';

describeExample(
  'fastify',
  async (file) => {
    const app = await createApp({ file });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { server: app.server, close: () => app.close() };
  },
  fileURLToPath(new URL('../src/server.ts', import.meta.url)),
);
