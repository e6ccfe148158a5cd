import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { calculateJwkThumbprint, exportJWK } from 'jose';

export interface KeygenResult {
  privateKeyFile: string;
  publicKeyFile: string;
  kid: string;
  alg: 'EdDSA' | 'ES256';
}

/**
 * A checkpoint signing key pair: the private key as PKCS#8 PEM (0600: it is what makes checkpoints
 * trustworthy) and the public key as a JWK carrying its RFC 7638 thumbprint as `kid`.
 */
export async function keygen(options: { out: string; name: string; alg: 'ed25519' | 'es256'; force: boolean }): Promise<KeygenResult> {
  const dir = resolve(options.out);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const privateKeyFile = join(dir, `${options.name}.key`);
  const publicKeyFile = join(dir, `${options.name}.pub.jwk`);
  for (const f of [privateKeyFile, publicKeyFile]) {
    if (existsSync(f) && !options.force) throw new Error(`${f} exists; pass --force to replace it (checkpoints signed with the old key will then need the old public key to verify)`);
  }
  const { privateKey, publicKey } =
    options.alg === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const alg = options.alg === 'ed25519' ? 'EdDSA' : 'ES256';
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  writeFileSync(privateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
  writeFileSync(publicKeyFile, JSON.stringify({ ...jwk, kid, alg, use: 'sig' }, null, 2) + '\n', { mode: 0o644 });
  return { privateKeyFile, publicKeyFile, kid, alg };
}
