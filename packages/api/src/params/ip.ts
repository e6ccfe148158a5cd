import { isIPv4, isIPv6 } from 'node:net';
import type { Cidr, IpMatch } from '@auditkit/store';
import { badParameter } from '../http/errors.js';
import { parseList } from './values.js';

/**
 * `source_ip`: addresses and CIDR blocks, comma-listed, `!` to exclude. Addresses are written the way
 * the core records them (IPv4-mapped IPv6 as IPv4, IPv6 in its RFC 5952 short form), so `::FFFF:10.0.0.1`
 * finds what was recorded as `10.0.0.1`. A block's network is masked to its prefix (`10.1.2.3/8` is `10.0.0.0/8`).
 */

const ACCEPTED = 'IPv4 or IPv6 addresses and CIDR blocks (10.0.0.1, 10.0.0.0/8, 2001:db8::/32), comma-listed, ! to exclude';

export function parseSourceIp(parameter: string, text: string): IpMatch {
  const { values, negate } = parseList(parameter, text, 64);
  const addresses: string[] = [];
  const cidrs: Cidr[] = [];
  for (const value of values) {
    const slash = value.indexOf('/');
    if (slash < 0) {
      addresses.push(normalizeAddress(parameter, value));
      continue;
    }
    const address = value.slice(0, slash);
    const prefixText = value.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText)) throw badParameter(parameter, `${JSON.stringify(value)} has no prefix length`, ACCEPTED);
    const prefix = Number(prefixText);
    let bytes = addressBytes(address);
    if (bytes === undefined) throw badParameter(parameter, `${JSON.stringify(value)} is not a CIDR block`, ACCEPTED);
    let family: 4 | 6 = bytes.length === 4 ? 4 : 6;
    if (prefix > (family === 4 ? 32 : 128)) throw badParameter(parameter, `${JSON.stringify(value)} has a prefix longer than the address`, ACCEPTED);
    let bits = prefix;
    if (family === 6 && isV4Mapped(bytes) && prefix >= 96) {
      bytes = bytes.subarray(12);
      family = 4;
      bits = prefix - 96;
    }
    cidrs.push({ family, network: formatBytes(mask(bytes, bits)), prefix: bits });
  }
  return { addresses, cidrs, negate };
}

function normalizeAddress(parameter: string, value: string): string {
  // A zone (fe80::1%eth0) is kept as the socket reported it.
  if (value.includes('%')) {
    if (!isIPv6(value)) throw badParameter(parameter, `${JSON.stringify(value)} is not an IP address`, ACCEPTED);
    return value;
  }
  const bytes = addressBytes(value);
  if (bytes === undefined) throw badParameter(parameter, `${JSON.stringify(value.slice(0, 64))} is not an IP address`, ACCEPTED);
  return formatBytes(bytes.length === 16 && isV4Mapped(bytes) ? bytes.subarray(12) : bytes);
}

function addressBytes(text: string): Uint8Array | undefined {
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let head = text;
  let v4: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    v4 = text.slice(lastColon + 1).split('.').map(Number);
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const groups = (s: string | undefined): number[] => (s === undefined || s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const l = groups(left);
  const r = groups(right);
  const all = right === undefined ? l : [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  if (v4.length === 4) bytes.set(v4, 12);
  return bytes;
}

function isV4Mapped(bytes: Uint8Array): boolean {
  if (bytes.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

function mask(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    out[i]! &= (0xff << (8 - keep)) & 0xff;
  }
  return out;
}

/** IPv4 dotted; IPv6 in RFC 5952 form (lower case, the longest run of two or more zero groups as `::`). */
function formatBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
