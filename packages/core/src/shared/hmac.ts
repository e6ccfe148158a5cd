import { createHmac } from 'node:crypto';

/**
 * Vault's format for a sensitive value that must stay correlatable: `hmac-sha256:` + hex digest.
 * Equal inputs give equal outputs under one key, so an operator can search for a known value
 * (compute its HMAC with `hmacValue`) without the trail ever holding the value itself.
 */
export function hmacValue(key: string | Buffer, value: string): string {
  return 'hmac-sha256:' + createHmac('sha256', key).update(value, 'utf8').digest('hex');
}
