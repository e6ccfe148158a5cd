import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AuditConfigError, AuditFileTransport, Auditor } from '../src/index.js';

// The chain key mistakes of a first hour (issue 11, item 10): each names the option and the fix
// instead of OpenSSL's "DECODER routines::unsupported" or `The "key.d" property must be ...`.

const dir = mkdtempSync(join(tmpdir(), 'auditkit-chain-key-'));
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'EdDSA', use: 'sig' };
const keyFile = join(dir, 'audit-signing.key');
const pubFile = join(dir, 'audit-signing.pub.jwk');
writeFileSync(keyFile, privatePem, { mode: 0o600 });
writeFileSync(pubFile, JSON.stringify(publicJwk));

function refusal(key: unknown): string {
  try {
    new Auditor({ file: { path: join(dir, 'audit.log'), chain: { key: key as never } } }).close();
  } catch (err) {
    assert.ok(err instanceof AuditConfigError, String(err));
    assert.equal(err.option, 'file.chain.key');
    assert.doesNotMatch(err.message, /DECODER|routines|key\.d|property must be/);
    return err.message;
  }
  return assert.fail('the key was accepted');
}

describe('file.chain.key mistakes', () => {
  it('a path given as a plain string', () => {
    assert.equal(refusal(keyFile), `[auditkit] options.file.chain.key: is a string holding a path (${JSON.stringify(keyFile)}), which is read as the key itself. Fix: pass { file: ${JSON.stringify(keyFile)} }`);
    assert.match(refusal('./keys/audit-signing.key'), /is a string holding a path \("\.\/keys\/audit-signing\.key"\).*Fix: pass \{ file: "\.\/keys\/audit-signing\.key" \}/);
  });

  it('the public key instead of the private one: a JWK file, a JWK object, JWK text, PEM text', () => {
    const expected = /is a public JWK \(it has no "d"\): checkpoints are signed with the private key\. Fix: give the private key from `auditkit keygen`: \{ file: '\.\/audit-signing\.key' \} \(the \.pub\.jwk is for verifiers\)$/;
    assert.match(refusal({ file: pubFile }), expected);
    assert.match(refusal(publicJwk), expected);
    assert.match(refusal(JSON.stringify(publicJwk)), expected);
    assert.match(refusal(publicPem), /is a public key \(PEM "PUBLIC KEY"\): checkpoints are signed with the private key\. Fix: give the private key/);
    assert.match(refusal(publicKey), /cannot be used to sign checkpoints \(a public key cannot sign; give the private key\)/);
  });

  it('a key file that does not exist, an unset environment variable, garbage', () => {
    assert.match(refusal({ file: join(dir, 'missing.key') }), /names a file that cannot be read \(ENOENT: .*missing\.key\)\. Fix: check the path, or create the key with `auditkit keygen --out /);
    assert.match(refusal({ env: 'AUDITKIT_TEST_UNSET_KEY' }), /environment variable AUDITKIT_TEST_UNSET_KEY is not set/);
    assert.match(refusal('hunter2'), /is a string that is neither a PEM key nor a JWK\. Fix: /);
    assert.match(refusal(42), /must be a KeyObject, PEM or JWK text, a JWK object, \{ file \} or \{ env \}, got number/);
  });

  it('the same words from new AuditFileTransport', () => {
    assert.throws(() => new AuditFileTransport({ path: join(dir, 't.log'), chain: { key: keyFile as never } }), /options\.(file\.)?chain\.key: is a string holding a path/);
  });

  it('the right keys are accepted: { file }, PEM text, a KeyObject', async () => {
    for (const key of [{ file: keyFile }, privatePem, privateKey]) {
      const auditor = new Auditor({ file: { path: join(mkdtempSync(join(dir, 'ok-')), 'audit.log'), chain: { key } } });
      await auditor.close();
    }
  });
});
