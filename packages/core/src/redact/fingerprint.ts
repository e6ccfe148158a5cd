import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Names a credential without revealing it: `key-hmac:` and the first 16 hex digits of
 * HMAC-SHA256(install key, credential). Enough to tell keys apart in the trail and to follow one key
 * across records; unlike a bare SHA-256 prefix, nobody holding the trail alone can test a guessed
 * or leaked key against it.
 *
 * The key is the install's own: `redact.fingerprintKey` when given, else a random 32-byte key made the
 * first time one is needed and kept, mode 0600, in `fingerprint.key` beside the trail, so fingerprints
 * stay the same across restarts. A key file that cannot be written falls back to a key for this
 * process only, with a warning: fingerprints then change at the next start.
 */

export const FINGERPRINT_PREFIX = 'key-hmac:';
export const FINGERPRINT_KEY_FILE = 'fingerprint.key';

export class Fingerprinter {
  #key: Buffer | string | undefined;
  readonly #file: string | undefined;

  /** `key` given, or the file to keep a generated key in. */
  constructor(key: string | Buffer | undefined, file: string | undefined) {
    this.#key = key;
    this.#file = file;
  }

  of(credential: string): string {
    return FINGERPRINT_PREFIX + createHmac('sha256', this.#keyNow()).update(credential, 'utf8').digest('hex').slice(0, 16);
  }

  #keyNow(): Buffer | string {
    if (this.#key === undefined) this.#key = this.#file === undefined ? randomBytes(32) : loadOrCreateKey(this.#file);
    return this.#key;
  }
}

function readKey(file: string): Buffer | undefined {
  try {
    const hex = readFileSync(file, 'utf8').trim();
    return /^[0-9a-f]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
  } catch {
    return undefined;
  }
}

function loadOrCreateKey(file: string): Buffer {
  const existing = readKey(file);
  if (existing) return existing;
  const key = randomBytes(32);
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // `wx`: two processes starting together must end up with one key, the first one written.
    writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    const raced = (err as NodeJS.ErrnoException).code === 'EEXIST' ? readKey(file) : undefined;
    if (raced) return raced;
    process.emitWarning(
      `auditkit could not keep its fingerprint key in ${file} (${(err as Error).message}): API-key fingerprints will change when the process restarts. Set options.redact.fingerprintKey, or make the directory writable.`,
      { type: 'AuditkitWarning', code: 'AUDITKIT_FINGERPRINT_KEY' },
    );
    return key;
  }
}
