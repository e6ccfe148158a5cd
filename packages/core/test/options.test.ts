import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import winston from 'winston';
import { AuditConfigError, createAuditor, type AuditOptions } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'auditkit-options-'));
const file = join(dir, 'audit.log');

function rejects(options: unknown, option: string, pattern: RegExp): void {
  assert.throws(
    () => createAuditor(options as AuditOptions),
    (err: unknown) => {
      assert.ok(err instanceof AuditConfigError, `expected AuditConfigError, got ${String(err)}`);
      assert.equal(err.option, option);
      assert.match(err.message, pattern);
      assert.match(err.message, /^\[auditkit\] options\./);
      assert.match(err.message, / Fix: /, 'every error says how to fix it');
      return true;
    },
  );
}

describe('options are validated once, at construction', () => {
  it('accepts nothing at all and writes ./log/audit.log relative to the working directory', async () => {
    const cwd = process.cwd();
    const here = mkdtempSync(join(tmpdir(), 'auditkit-default-'));
    process.chdir(here);
    try {
      const auditor = createAuditor();
      await auditor.close();
      const stat = statSync(join(here, 'log', 'audit.log'));
      assert.equal(stat.mode & 0o777, 0o600);
      assert.equal(statSync(join(here, 'log')).mode & 0o777, 0o700);
    } finally {
      process.chdir(cwd);
    }
  });

  it('names unknown options and suggests the intended one', () => {
    rejects({ file, trustproxy: true }, 'trustproxy', /did you mean trustProxy\?/);
    rejects({ file, redact: { mdoe: 'mask' } }, 'redact.mdoe', /did you mean redact\.mode\?/);
    rejects({ file, whatever: 1 }, 'whatever', /accepts transports, sinks, success/);
  });

  it('names bad values and the fix', () => {
    rejects({ file, redact: { mode: 'hash' } }, 'redact.mode', /"mask", "remove" or "hmac", got "hash"/);
    rejects({ file, redact: { mode: 'hmac' } }, 'redact.hmacKey', /is required because a rule uses mode "hmac"/);
    rejects({ file, redact: { paths: ['card.number'] } }, 'redact.paths[0]', /start with body, query/);
    rejects({ file, queue: { max: 0 } }, 'queue.max', /whole number from 1/);
    rejects({ file, limits: { bodyBytes: 'big' } }, 'limits.bodyBytes', /whole number/);
    rejects({ file, timeOffset: '+2' }, 'timeOffset', /"system", "utc" or an offset/);
    rejects({ file, skipMethods: 'GET' }, 'skipMethods', /array of strings/);
    rejects({ file, routes: [{ route: 'users/:id', audit: true }] }, 'routes[0].route', /must start with "\/"/);
    rejects({ file, routes: [{ route: '/users/:id' }] }, 'routes[0]', /neither audit, operationType nor level/);
    rejects({ file, trustProxy: ['not-an-ip'] }, 'trustProxy', /invalid IP address/);
    rejects({ file, skip: true }, 'skip', /must be a function/);
    rejects({ file, requestIdHeader: 'x request id' }, 'requestIdHeader', /not a valid header name/);
    rejects({ file, strict: 'yes' }, 'strict', /true or false/);
  });

  it('checks JWT verification settings', () => {
    rejects({ file, auth: { jwt: { verify: { issuer: 'i', audience: 'a' } } } }, 'auth.jwt.verify', /no key to verify with/);
    rejects({ file, auth: { jwt: { verify: { secret: 'short', issuer: 'i', audience: 'a' } } } }, 'auth.jwt.verify.secret', /shorter than 32 bytes/);
    rejects({ file, auth: { jwt: { verify: { secret: 'x'.repeat(32), audience: 'a' } } } }, 'auth.jwt.verify.issuer', /is required when verifying/);
    rejects({ file, auth: { jwt: { verify: { secret: 'x'.repeat(32), issuer: 'i', audience: 'a', algorithms: ['none'] } } } }, 'auth.jwt.verify.algorithms', /includes "none"/);
    rejects({ file, auth: { jwt: { verify: { publicKey: 'not a pem', issuer: 'i', audience: 'a' } } } }, 'auth.jwt.verify.publicKey', /cannot be read/);
    rejects({ file, auth: { jwt: { verify: { jwksUrl: 'ftp://x', issuer: 'i', audience: 'a' } } } }, 'auth.jwt.verify.jwksUrl', /not an http\(s\) URL/);
  });

  it('checks sinks: transports, logger, and a file that cannot be opened', () => {
    rejects({ transports: [] }, 'transports', /non-empty array/);
    rejects({ transports: [{}] }, 'transports[0]', /is not a Winston transport/);
    rejects({ transports: [new winston.transports.Console({ level: 'error' })] }, 'transports[0]', /would silently drop audit records/);
    rejects({ logger: { write() {} } }, 'logger', /is not a Winston logger/);
    rejects({ transports: [new winston.transports.Console()], file }, 'file', /only used when neither/);
    // A real fault: the parent of the log directory is a regular file.
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'x');
    assert.throws(() => createAuditor({ file: join(blocker, 'log', 'audit.log') }), (err: unknown) => {
      assert.ok(err instanceof AuditConfigError);
      assert.equal(err.code, 'AUDITKIT_SINK_UNAVAILABLE');
      assert.match(err.message, /cannot be opened for appending/);
      return true;
    });
  });

  it('opens no file when another option is invalid', () => {
    const other = join(dir, 'never', 'audit.log');
    assert.throws(() => createAuditor({ file: other, queue: { max: -1 } }), (err: unknown) => err instanceof AuditConfigError && err.option === 'queue.max');
    assert.equal(existsSync(other), false);
  });
});
