// One benchmark server: `node server.mjs <framework> <variant> <logDir>`.
//
// The same two routes on every server: POST /api/users/:id (a ~1 KB JSON body) answers 201, GET
// /api/health answers 200. Variants: `bare` (no logging), `auditkit` (defaults: file sink, full
// redaction), `auditkit-chain` (plus the hash chain), and the loggers people use today (on Fastify also
// `pino-audit`: pino writing a record of the same content as auditkit's). The driver
// talks to it over IPC only (stats, close), so measuring never shows up in the logs being measured.
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

const [framework, variant, logDir] = process.argv.slice(2);
mkdirSync(logDir, { recursive: true });
const auditFile = join(logDir, 'audit.log');
const peerFile = join(logDir, 'peer.log');

// The defaults, but keeping every rotated file (the default keeps 10 of 50 MiB) so the driver can
// count all records a run wrote; pruning is not on the request path. `auditkit-null` (a diagnostic,
// not in the table) hands records to a transport that discards them: the core's cost without the file.
const auditOptions = async () => {
  if (variant === 'auditkit-chain') return { file: { path: auditFile, maxFiles: 0, chain: { key: generateKeyPairSync('ed25519').privateKey } } };
  if (variant === 'auditkit-null') {
    const { AuditTransport } = await import('@auditkit/core');
    class Discard extends AuditTransport {
      sinkName = 'discard';
      async writeEntries() {}
      async closeSink() {}
    }
    return { transports: [new Discard()] };
  }
  if (variant === 'auditkit-store') {
    // The file sink and, beside it, the SQLite store (its writer on a worker thread).
    const [{ AuditFileTransport }, { openSqliteStore }] = await Promise.all([import('@auditkit/core'), import('@auditkit/store')]);
    const store = await openSqliteStore({ path: join(logDir, 'store', 'audit.db') });
    closeStore = () => store.close();
    return { sinks: [new AuditFileTransport({ path: auditFile, maxFiles: 0 }), store.transport] };
  }
  return { file: { path: auditFile, maxFiles: 0 } };
};
/** The store, for `auditkit-store`: closed after the auditor has flushed into it. */
let closeStore = async () => {};

/** What the server must flush before the driver counts the lines on disk. */
let flush = async () => {};
/** auditkit's own counters, for the driver's check that every accepted record was written. */
let auditStats = () => undefined;
let server;

/** Express and Koa take auditkit the same way: mount the middleware, and flush and count through it. */
async function mountAuditkit(app, pkg) {
  const { audit } = await import(pkg);
  const middleware = audit(await auditOptions());
  app.use(middleware);
  flush = async () => {
    await middleware.close({ timeoutMs: 60_000 });
    await closeStore();
  };
  auditStats = () => middleware.stats();
}

if (framework === 'express') {
  const { default: express } = await import('express');
  const app = express();
  if (variant.startsWith('auditkit')) await mountAuditkit(app, '@auditkit/express');
  app.use(express.json());
  if (variant === 'express-winston') {
    const { default: winston } = await import('winston');
    const expressWinston = (await import('express-winston')).default;
    const transport = new winston.transports.File({ filename: peerFile });
    app.use(
      expressWinston.logger({
        transports: [transport],
        format: winston.format.json(),
        meta: true,
        requestWhitelist: ['url', 'method', 'httpVersion', 'originalUrl', 'query', 'headers', 'body'],
        // Body whitelisted: only these fields are logged; headers blacklisted: these are not.
        bodyWhitelist: ['name', 'email', 'address'],
        headerBlacklist: ['authorization', 'cookie', 'x-api-key'],
      }),
    );
    flush = () => new Promise((resolve) => { transport.once('finish', resolve); transport.end(); });
  }
  if (variant === 'pino-http') {
    const { default: pino } = await import('pino');
    const { default: pinoHttp } = await import('pino-http');
    const dest = pino.destination({ dest: peerFile, sync: false });
    app.use(
      pinoHttp({
        logger: pino({ redact: ['req.headers.authorization', 'req.body.password', 'req.body.token'] }, dest),
        serializers: { req: (req) => ({ ...req, body: req.raw.body }) },
      }),
    );
    flush = () => new Promise((resolve) => dest.flush(() => resolve()));
  }
  app.post('/api/users/:id', (req, res) => void res.status(201).json({ id: req.params.id }));
  app.get('/api/health', (_req, res) => void res.json({ ok: true }));
  server = http.createServer(app);
} else if (framework === 'fastify') {
  const { default: Fastify } = await import('fastify');
  let logger = false;
  if (variant === 'pino') {
    const { default: pino } = await import('pino');
    const dest = pino.destination({ dest: peerFile, sync: false });
    logger = pino({ redact: ['req.headers.authorization'] }, dest);
    flush = () => new Promise((resolve) => dest.flush(() => resolve()));
  }
  const app = Fastify({ loggerInstance: logger || undefined, logger: logger ? undefined : false, serverFactory: (handler) => (server = http.createServer(handler)) });
  if (variant.startsWith('auditkit')) {
    const { default: audit } = await import('@auditkit/fastify');
    await app.register(audit, await auditOptions());
    flush = () => app.auditor.close({ timeoutMs: 60_000 });
    auditStats = () => app.auditor.stats();
  }
  if (variant === 'pino-audit') {
    // The same evidence as auditkit's record, written by pino: method, route, status, the headers with
    // the credentials masked and the body with its secrets masked (pino's redact paths), once per
    // request when the response is done.
    const { default: pino } = await import('pino');
    const dest = pino.destination({ dest: peerFile, sync: false });
    const log = pino({ redact: ['headers.authorization', 'headers.cookie', 'body.password', 'body.token'] }, dest);
    app.addHook('onResponse', (request, reply, done) => {
      log.info({ method: request.method, route: request.routeOptions.url, status: reply.statusCode, headers: request.headers, body: request.body }, 'audit');
      done();
    });
    flush = () => new Promise((resolve) => dest.flush(() => resolve()));
  }
  app.post('/api/users/:id', async (req, reply) => reply.code(201).send({ id: req.params.id }));
  app.get('/api/health', async () => ({ ok: true }));
  await app.ready();
} else {
  const { default: Koa } = await import('koa');
  const { default: Router } = await import('@koa/router');
  const { default: bodyParser } = await import('@koa/bodyparser');
  const app = new Koa();
  if (variant.startsWith('auditkit')) await mountAuditkit(app, '@auditkit/koa');
  if (variant === 'winston-json') {
    const { default: winston } = await import('winston');
    const transport = new winston.transports.File({ filename: peerFile });
    const logger = winston.createLogger({ format: winston.format.json(), transports: [transport] });
    // A typical hand-written audit middleware: one JSON line per request, secrets dropped by hand.
    app.use(async (ctx, next) => {
      const started = Date.now();
      await next();
      const { password, token, ...body } = ctx.request.body ?? {};
      const { authorization, cookie, ...headers } = ctx.headers;
      void password;
      void token;
      void authorization;
      void cookie;
      logger.info('request', { method: ctx.method, url: ctx.url, status: ctx.status, ms: Date.now() - started, headers, body });
    });
    flush = () => new Promise((resolve) => { transport.once('finish', resolve); logger.end(); });
  }
  app.use(bodyParser());
  const router = new Router();
  router.post('/api/users/:id', (ctx) => {
    ctx.status = 201;
    ctx.body = { id: ctx.params.id };
  });
  router.get('/api/health', (ctx) => {
    ctx.body = { ok: true };
  });
  app.use(router.routes());
  server = http.createServer(app.callback());
}

server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1');
await once(server, 'listening');

const usage = () => {
  const cpu = process.cpuUsage();
  return { cpuMicros: cpu.user + cpu.system, maxRssKb: process.resourceUsage().maxRSS, rss: process.memoryUsage().rss };
};

process.on('message', async (message) => {
  if (message === 'stats') process.send({ type: 'stats', ...usage() });
  if (message === 'close') {
    server.close();
    server.closeAllConnections();
    await flush();
    process.send({ type: 'closed', ...usage(), audit: auditStats() });
    process.disconnect();
  }
});
process.send({ type: 'ready', port: server.address().port, ...usage() });
