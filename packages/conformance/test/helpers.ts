import http from 'node:http';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { AuditOptions, AuditRecord } from '@auditkit/core';
import { startApp, type Framework, type RunningApp } from '../src/apps.js';
import { readRecords, tempDir } from '../src/records.js';

export const JWT_SECRET = 'conformance-secret-of-at-least-32-bytes!';
export const JWT_ISSUER = 'https://issuer.test';
export const JWT_AUDIENCE = 'auditkit-tests';

export async function jwt(
  claims: Record<string, unknown>,
  options: { secret?: string; expiresIn?: string | number; issuer?: string; audience?: string } = {},
): Promise<string> {
  const builder = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setIssuer(options.issuer ?? JWT_ISSUER)
    .setAudience(options.audience ?? JWT_AUDIENCE)
    .setExpirationTime(options.expiresIn ?? '1h');
  return builder.sign(new TextEncoder().encode(options.secret ?? JWT_SECRET));
}

export function unsignedJwt(claims: Record<string, unknown>): string {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
}

export async function waitFor(predicate: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Sends a request and destroys the socket after `afterMs`, like a client that gives up. */
export function abortedRequest(url: string, path: string, afterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request(url + path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'aborted-1' } });
    req.on('error', () => resolve());
    req.end(JSON.stringify({ note: 'I will not wait' }));
    setTimeout(() => {
      req.destroy();
      resolve();
    }, afterMs);
  });
}

/** Starts an app with a fresh audit file, runs `fn`, closes it, and returns what was written. */
export async function withApp(
  framework: Framework,
  audit: AuditOptions,
  fn: (app: RunningApp) => Promise<void>,
  server?: http.ServerOptions,
): Promise<{ records: AuditRecord[]; app: RunningApp; file: string; text: string }> {
  const file = join(tempDir(), 'audit.log');
  const options: AuditOptions = audit.transports || audit.logger ? audit : { file, ...audit };
  const app = await startApp(framework, { audit: options, server });
  try {
    await fn(app);
  } finally {
    await app.close();
  }
  const records = audit.transports || audit.logger ? [] : readRecords(file);
  const { readFileSync, existsSync } = await import('node:fs');
  return { records, app, file, text: existsSync(file) ? readFileSync(file, 'utf8') : '' };
}
