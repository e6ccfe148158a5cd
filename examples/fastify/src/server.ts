import { createApp } from './app.js';

const app = await createApp();
const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`fastify example on ${address}, audit trail in ./log/audit.log`);

// app.close() stops the server, then flushes the audit trail (the plugin hooks onClose).
process.once('SIGTERM', () => void app.close());
