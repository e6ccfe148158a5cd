import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

/**
 * Keys for signed checkpoints: Ed25519 (EdDSA, the default) or P-256 (ES256). The private key comes
 * from a KeyObject, PEM or JWK text, a file, or an environment variable; the public key travels as a
 * JWK, identified by its RFC 7638 thumbprint (the JWS `kid`), so a verifier can tell "signed with
 * another key" from "signature broken".
 */

export type PrivateKeySource = KeyObject | string | JsonWebKey | { file: string } | { env: string };
export type PublicKeySource = KeyObject | string | JsonWebKey | { file: string };

export interface SigningKey {
  key: KeyObject;
  alg: 'EdDSA' | 'ES256';
  kid: string;
  publicJwk: JWK;
}

export interface VerifyingKey {
  key: KeyObject;
  alg: 'EdDSA' | 'ES256';
  kid: string;
}

function textOf(source: { file: string } | { env: string } | string): string {
  if (typeof source === 'string') return source;
  if ('file' in source) return readFileSync(source.file, 'utf8');
  const value = process.env[source.env];
  if (value === undefined || value.length === 0) throw new Error(`environment variable ${source.env} is not set`);
  return value;
}

function parseKey(text: string, create: typeof createPrivateKey | typeof createPublicKey): KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return create({ key: JSON.parse(trimmed) as JsonWebKey, format: 'jwk' });
  return create(trimmed);
}

function algOf(key: KeyObject): 'EdDSA' | 'ES256' {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`a ${key.asymmetricKeyType ?? 'symmetric'} key cannot sign checkpoints; use Ed25519 (default) or EC P-256`);
}

export async function loadSigningKey(source: PrivateKeySource): Promise<SigningKey> {
  const key = isKeyObject(source) ? source : parseKey(textOrJwk(source), createPrivateKey);
  if (key.type !== 'private') throw new Error('a public key cannot sign; give the private key');
  const alg = algOf(key);
  const publicJwk = await exportJWK(createPublicKey(key));
  const kid = await calculateJwkThumbprint(publicJwk);
  return { key, alg, kid, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } };
}

/** Synchronous checks for construction time: the key loads and can sign. */
export function checkSigningKey(source: PrivateKeySource): void {
  const key = isKeyObject(source) ? source : parseKey(textOrJwk(source), createPrivateKey);
  if (key.type !== 'private') throw new Error('a public key cannot sign; give the private key');
  algOf(key);
}

const PRIVATE_FIX = "give the private key from `auditkit keygen`: { file: './audit-signing.key' } (the .pub.jwk is for verifiers)";

/**
 * The usual mistakes with a signing key, said in words: OpenSSL's own errors ("DECODER
 * routines::unsupported", `The "key.d" property must be of type string`) name neither the mistake nor
 * the fix. Returns undefined when the key signs.
 */
export function signingKeyProblem(source: PrivateKeySource): { problem: string; fix: string } | undefined {
  if (source === null || (typeof source !== 'string' && typeof source !== 'object')) {
    return { problem: `must be a KeyObject, PEM or JWK text, a JWK object, { file } or { env }, got ${source === null ? 'null' : typeof source}`, fix: PRIVATE_FIX };
  }
  if (typeof source === 'string') {
    const text = source.trim();
    if (!text.startsWith('-----BEGIN') && !text.startsWith('{')) {
      const looksLikePath = existsSync(text) || /^[.~/]|\.(key|pem|jwk)$/.test(text);
      return looksLikePath
        ? { problem: `is a string holding a path (${JSON.stringify(text.slice(0, 80))}), which is read as the key itself`, fix: `pass { file: ${JSON.stringify(text.slice(0, 80))} }` }
        : { problem: 'is a string that is neither a PEM key nor a JWK', fix: `${PRIVATE_FIX}, or the PEM text itself` };
    }
  }
  let text: string | undefined;
  if (!isKeyObject(source)) {
    try {
      text = textOrJwk(source);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const file = typeof source === 'object' && source !== null && 'file' in source ? String(source.file) : undefined;
      return file !== undefined
        ? { problem: `names a file that cannot be read (${code ?? (err as Error).message}: ${file})`, fix: `check the path, or create the key with \`auditkit keygen --out ${dirname(file)}\`` }
        : { problem: (err as Error).message, fix: PRIVATE_FIX };
    }
    const trimmed = text.trim();
    if (/^-----BEGIN PUBLIC KEY-----/.test(trimmed)) return { problem: 'is a public key (PEM "PUBLIC KEY"): checkpoints are signed with the private key', fix: PRIVATE_FIX };
    if (trimmed.startsWith('{')) {
      let jwk: unknown;
      try {
        jwk = JSON.parse(trimmed);
      } catch {
        return { problem: 'looks like a JWK but is not valid JSON', fix: PRIVATE_FIX };
      }
      if (jwk !== null && typeof jwk === 'object' && !('d' in jwk)) {
        return { problem: 'is a public JWK (it has no "d"): checkpoints are signed with the private key', fix: PRIVATE_FIX };
      }
    }
  }
  try {
    checkSigningKey(source);
    return undefined;
  } catch (err) {
    return { problem: `cannot be used to sign checkpoints (${(err as Error).message})`, fix: 'give an Ed25519 or P-256 private key (PEM or JWK), e.g. from `auditkit keygen`' };
  }
}

export async function loadVerifyingKey(source: PublicKeySource): Promise<VerifyingKey> {
  let key = isKeyObject(source) ? source : parseKey(textOrJwk(source), createPublicKey);
  if (key.type === 'private') key = createPublicKey(key);
  const alg = algOf(key);
  const kid = await calculateJwkThumbprint(await exportJWK(key));
  return { key, alg, kid };
}

function isKeyObject(v: unknown): v is KeyObject {
  return typeof v === 'object' && v !== null && typeof (v as KeyObject).export === 'function' && 'asymmetricKeyType' in (v as object);
}

function textOrJwk(source: Exclude<PrivateKeySource, KeyObject>): string {
  if (typeof source === 'object' && !('file' in source) && !('env' in source)) return JSON.stringify(source);
  return textOf(source as { file: string } | { env: string } | string);
}
