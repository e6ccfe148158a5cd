import { isIPv4, isIPv6 } from 'node:net';
import type { Cidr } from '../model/filter.js';

/**
 * Addresses as 16-byte keys (IPv4 as IPv4-mapped IPv6), so one index answers an exact address and a
 * CIDR block alike: a block is the key range [network, broadcast], compared byte by byte by both
 * SQLite (BLOB) and PostgreSQL (bytea). `10.0.0.1` and `::ffff:10.0.0.1` get the same key.
 */

function v4Bytes(text: string, out: Uint8Array, at: number): void {
  const parts = text.split('.');
  for (let i = 0; i < 4; i++) out[at + i] = Number(parts[i]);
}

function v6Bytes(text: string): Uint8Array {
  const out = new Uint8Array(16);
  let body = text;
  const zone = body.indexOf('%');
  if (zone !== -1) body = body.slice(0, zone);
  // A dotted IPv4 tail (`::ffff:1.2.3.4`) fills the last four bytes.
  let tail: string | undefined;
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.', lastColon)) {
    tail = body.slice(lastColon + 1);
    body = body.slice(0, lastColon + 1) + '0:0';
  }
  const [head = '', rest] = body.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? headGroups : [...headGroups, ...new Array<string>(8 - headGroups.length - restGroups.length).fill('0'), ...restGroups];
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  if (tail !== undefined) v4Bytes(tail, out, 12);
  return out;
}

/** The key of an address, or `undefined` when the text is not an IP address. */
export function ipKey(address: string): Buffer | undefined {
  if (isIPv4(address)) {
    const out = Buffer.alloc(16);
    out[10] = 0xff;
    out[11] = 0xff;
    v4Bytes(address, out, 12);
    return out;
  }
  if (isIPv6(address)) return Buffer.from(v6Bytes(address));
  return undefined;
}

/** The inclusive key range of a CIDR block. Throws on a block that is not one. */
export function cidrRange(cidr: Cidr): { low: Buffer; high: Buffer } {
  const base = ipKey(cidr.network);
  const bits = cidr.family === 4 ? 96 + cidr.prefix : cidr.prefix;
  const valid = cidr.family === 4 ? isIPv4(cidr.network) && cidr.prefix >= 0 && cidr.prefix <= 32 : isIPv6(cidr.network) && cidr.prefix >= 0 && cidr.prefix <= 128;
  if (base === undefined || !valid || !Number.isInteger(cidr.prefix)) throw new TypeError(`not a CIDR block: ${cidr.network}/${cidr.prefix}`);
  const low = Buffer.from(base);
  const high = Buffer.from(base);
  for (let bit = bits; bit < 128; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    low[byte]! &= ~mask;
    high[byte]! |= mask;
  }
  return { low, high };
}
