import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, SignJWT } from 'jose';
import { AuthDetector } from '../src/auth/auth.js';

/** 'key-sha256:' and the first 16 hex digits of SHA-256 (sha256sum): abc, and k. */
const FINGERPRINT_ABC = 'key-sha256:ba7816bf8f01cfea';
const FINGERPRINT_K = 'key-sha256:8254c329a92850f6';

const ISS = 'https://issuer.test';
const AUD = 'api';
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

async function es256(claims: Record<string, unknown>, key = privateKey, kid = 'k1'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).setIssuer(ISS).setAudience(AUD).setExpirationTime('5m').sign(key);
}

const noHook = (): void => {
  throw new Error('unexpected hook failure');
};

describe('auth detection', () => {
  let jwks: http.Server;
  let jwksUrl = '';
  let jwksHits = 0;

  before(async () => {
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = http.createServer((_req, res) => {
      jwksHits++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  after(() => new Promise<void>((r) => jwks.close(() => r())));

  it('verifies against a PEM public key', async () => {
    const d = new AuthDetector({ jwt: { claim: ['preferred_username', 'sub'], verify: { publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string, issuer: ISS, audience: AUD } } }, noHook);
    assert.deepEqual(await d.detect({ authorization: `Bearer ${await es256({ sub: 'u1', preferred_username: 'alice' })}` }), { type: 'jwt_token', source: 'alice', verified: true, error: null });
    assert.deepEqual(await d.detect({ authorization: `Bearer ${await es256({ sub: 'u2' }, other.privateKey)}` }), { type: 'jwt_token', source: 'u2', verified: false, error: 'bad_signature' });
  });

  it('refuses an HS256 token signed with the public key as a secret (algorithm confusion)', async () => {
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const forged = await new SignJWT({ sub: 'root' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISS).setAudience(AUD).setExpirationTime('5m').sign(new TextEncoder().encode(pem));
    const d = new AuthDetector({ jwt: { verify: { publicKey: pem, issuer: ISS, audience: AUD } } }, noHook);
    assert.deepEqual(await d.detect({ authorization: `Bearer ${forged}` }), { type: 'jwt_token', source: 'root', verified: false, error: 'alg_not_allowed' });
  });

  it('verifies through a JWKS endpoint and caches the result per token', async () => {
    const d = new AuthDetector({ jwt: { verify: { jwksUrl, issuer: ISS, audience: AUD } } }, noHook);
    const token = await es256({ sub: 'bob' });
    const first = d.detect({ authorization: `Bearer ${token}` });
    assert.ok(first instanceof Promise, 'the first look needs the key set');
    assert.deepEqual(await first, { type: 'jwt_token', source: 'bob', verified: true, error: null });
    const second = d.detect({ authorization: `Bearer ${token}` });
    assert.ok(!(second instanceof Promise), 'the same token again is answered from the cache');
    assert.equal(second.verified, true);
    assert.equal(jwksHits, 1);
    assert.deepEqual(await d.detect({ authorization: `Bearer ${await es256({ sub: 'eve' }, other.privateKey, 'k9')}` }), { type: 'jwt_token', source: 'eve', verified: false, error: 'no_matching_key' });
  });

  it('reports an unreachable JWKS endpoint as key_unavailable and tries again next time', async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/jwks`;
    await new Promise<void>((r) => dead.close(() => r()));
    const d = new AuthDetector({ jwt: { verify: { jwksUrl: url, issuer: ISS, audience: AUD } } }, noHook);
    const token = await es256({ sub: 'carol' });
    assert.deepEqual(await d.detect({ authorization: `Bearer ${token}` }), { type: 'jwt_token', source: 'carol', verified: false, error: 'key_unavailable' });
    assert.ok(d.detect({ authorization: `Bearer ${token}` }) instanceof Promise, 'not cached: the endpoint may come back');
  });

  it('reads Basic, ApiKey schemes, API-key headers and session cookies', () => {
    const d = new AuthDetector(undefined, noHook);
    assert.deepEqual(d.detect({ authorization: 'Basic ' + Buffer.from('ann:pw:with:colons').toString('base64') }), { type: 'basic', source: 'ann', verified: false, error: null });
    assert.deepEqual(d.detect({ authorization: 'Basic !!!' }), { type: 'basic', source: null, verified: false, error: 'malformed' });
    assert.deepEqual(d.detect({ authorization: 'Basic ' + Buffer.from('nocolon').toString('base64') }), { type: 'basic', source: null, verified: false, error: 'malformed' });
    assert.deepEqual(d.detect({ authorization: 'ApiKey abc' }), { type: 'api_key', source: FINGERPRINT_ABC, verified: false, error: null });
    assert.deepEqual(d.detect({ 'api-key': 'abc' }), { type: 'api_key', source: FINGERPRINT_ABC, verified: false, error: null });
    assert.deepEqual(d.detect({ cookie: 'theme=dark; koa.sess=xyz' }), { type: 'session', source: null, verified: false, error: null });
    assert.deepEqual(d.detect({ cookie: 'theme=dark' }), { type: 'none', source: null, verified: false, error: null });
    assert.deepEqual(d.detect({}), { type: 'none', source: null, verified: false, error: null });
  });

  it('a throwing API-key resolver is reported, and the record keeps a fingerprint', () => {
    const failures: string[] = [];
    const d = new AuthDetector({ apiKey: { resolve: () => { throw new Error('db down'); } } }, (what) => failures.push(what));
    assert.deepEqual(d.detect({ 'x-api-key': 'k' }), { type: 'api_key', source: FINGERPRINT_K, verified: false, error: null });
    assert.deepEqual(failures, ['auth.apiKey.resolve']);
  });

  it('an async API-key resolver is awaited', async () => {
    const d = new AuthDetector({ apiKey: { resolve: async (k) => (k === 'good' ? 'svc' : undefined) } }, noHook);
    assert.deepEqual(await d.detect({ 'x-api-key': 'good' }), { type: 'api_key', source: 'svc', verified: true, error: null });
  });
});
