import { compileSourceIp, type SourceIpResolver, type TrustProxy } from './source-ip.js';
import { describe, fail, integerAt, stringAt } from '../shared/validate.js';

/** `trustProxy`: which proxies may set X-Forwarded-For, compiled once into the client-address resolver. */
export function resolveTrustProxy(value: unknown): SourceIpResolver {
  if (value === undefined || value === false) return compileSourceIp(false);
  if (value === true || typeof value === 'function') return compileSourceIp(value as TrustProxy);
  if (typeof value === 'number') {
    integerAt(value, 'trustProxy', 1, 0, 64);
    return compileSourceIp(value);
  }
  if (typeof value === 'string' || Array.isArray(value)) {
    try {
      return compileSourceIp(value as TrustProxy);
    } catch (err) {
      fail('trustProxy', `${(err as Error).message}`, 'list proxy addresses or CIDRs such as ["10.0.0.0/8", "loopback"]');
    }
  }
  fail('trustProxy', `must be false, true, a hop count, addresses/CIDRs or a function, got ${describe(value)}`, 'use ["loopback"] or 1');
}

/** `requestIdHeader`, lower-cased as Node reports header names. */
export function resolveRequestIdHeader(value: unknown): string {
  const header = stringAt(value, 'requestIdHeader', 'x-request-id', 'x-request-id');
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) fail('requestIdHeader', `is not a valid header name: ${describe(header)}`, 'use a name such as "x-request-id"');
  return header.toLowerCase();
}
