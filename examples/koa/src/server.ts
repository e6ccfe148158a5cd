import { createApp } from './app.js';

const { app, audit } = createApp();
const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`koa example on http://127.0.0.1:${(server.address() as { port: number }).port}, audit trail in ./log/audit.log`);
});

process.once('SIGTERM', () => server.close(() => void audit.close()));
