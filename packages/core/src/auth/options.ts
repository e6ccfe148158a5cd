import { AuthDetector, type AuthOptions, type HookFailure } from './auth.js';
import { checkPublicKey } from './jwt.js';
import type { Fingerprinter } from '../redact/fingerprint.js';
import { describe, fail, functionAt, integerAt, objectAt, onlyKeys, stringListAt, type Obj } from '../shared/validate.js';

/** `auth`: checked once here, so the detector trusts its options on every request. */
export function resolveAuth(input: Obj | undefined, onHookFailure: HookFailure, fingerprint: Fingerprinter | undefined): AuthDetector {
  const a = input ?? {};
  onlyKeys(a, ['jwt', 'apiKey', 'session'], 'auth');
  const jwt = objectAt(a.jwt, 'auth.jwt');
  if (jwt) {
    onlyKeys(jwt, ['claim', 'verify'], 'auth.jwt');
    if (jwt.claim !== undefined && typeof jwt.claim !== 'string') stringListAt(jwt.claim, 'auth.jwt.claim', [], '["preferred_username", "sub"]');
    if (typeof jwt.claim === 'string' && jwt.claim.length === 0) fail('auth.jwt.claim', 'is empty', 'use "sub" or "preferred_username"');
    const verify = objectAt(jwt.verify, 'auth.jwt.verify');
    if (verify) checkJwtVerify(verify);
  }
  const apiKey = objectAt(a.apiKey, 'auth.apiKey');
  if (apiKey) {
    onlyKeys(apiKey, ['headers', 'resolve'], 'auth.apiKey');
    stringListAt(apiKey.headers, 'auth.apiKey.headers', [], '["x-api-key"]');
    functionAt(apiKey.resolve, 'auth.apiKey.resolve', '(key) => name | undefined');
  }
  const session = objectAt(a.session, 'auth.session');
  if (session) {
    onlyKeys(session, ['cookies'], 'auth.session');
    stringListAt(session.cookies, 'auth.session.cookies', [], '["connect.sid"]');
  }
  return new AuthDetector(a as AuthOptions, onHookFailure, fingerprint);
}

/** `auth.jwt.verify`: each check closes a way a forged token, or one minted for another service, would verify. */
function checkJwtVerify(v: Obj): void {
  const o = 'auth.jwt.verify';
  onlyKeys(v, ['secret', 'publicKey', 'jwksUrl', 'issuer', 'audience', 'algorithms', 'clockTolerance'], o);
  const sources = ['secret', 'publicKey', 'jwksUrl'].filter((k) => v[k] !== undefined);
  if (sources.length !== 1) {
    fail(o, sources.length === 0 ? 'has no key to verify with' : `has ${sources.join(' and ')}; only one key source can apply`, 'give exactly one of secret, publicKey or jwksUrl');
  }
  if (v.secret !== undefined) {
    const ok = (typeof v.secret === 'string' && v.secret.length > 0) || v.secret instanceof Uint8Array;
    if (!ok) fail(`${o}.secret`, `must be a string or Uint8Array, got ${describe(v.secret)}`, 'load the shared secret from your secret store');
    if (Buffer.byteLength(v.secret as string) < 32) fail(`${o}.secret`, 'is shorter than 32 bytes (RFC 7518 requires at least the hash size for HS256)', 'use a random secret of 32 bytes or more');
  }
  if (v.publicKey !== undefined) {
    const problem = checkPublicKey(v.publicKey);
    if (problem) fail(`${o}.publicKey`, problem, 'pass the SPKI PEM, a public JWK, or a KeyObject');
  }
  if (v.jwksUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(String(v.jwksUrl));
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol)) fail(`${o}.jwksUrl`, `is not an http(s) URL: ${describe(String(v.jwksUrl))}`, 'use the issuer\'s JWKS endpoint, e.g. https://issuer/.well-known/jwks.json');
  }
  for (const claim of ['issuer', 'audience'] as const) {
    const value = v[claim];
    const ok = (typeof value === 'string' && value.length > 0) || (Array.isArray(value) && value.length > 0 && value.every((x) => typeof x === 'string' && x.length > 0));
    if (!ok) {
      fail(`${o}.${claim}`, `is required when verifying, got ${describe(value)}`, `set it to the expected "${claim === 'issuer' ? 'iss' : 'aud'}" value: without it a token minted for another service would verify`);
    }
  }
  if (v.algorithms !== undefined) {
    const algs = stringListAt(v.algorithms, `${o}.algorithms`, [], '["RS256"]');
    if (algs.some((a) => a.toLowerCase() === 'none')) fail(`${o}.algorithms`, 'includes "none"', 'remove "none": unsigned tokens can never verify');
  }
  if (v.clockTolerance !== undefined) integerAt(v.clockTolerance, `${o}.clockTolerance`, 0, 0, 3600);
}
