import { randomFillSync } from 'node:crypto';

/**
 * UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter (the RFC's "method 1"), then
 * 62 random bits. The counter keeps ids from one process strictly increasing within a millisecond, so
 * sorting ids as strings sorts records by creation.
 */

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

// Drawing randomness 4 KiB at a time keeps the per-id cost to a few table look-ups.
const pool = Buffer.allocUnsafe(4096);
let poolOffset = pool.length;

let lastMs = -1;
let counter = 0;
/** `lastMs` as the id's first 14 characters and the version digit ("xxxxxxxx-xxxx-7"), made once per millisecond. */
let msPrefix = '';

function randomBytes8(): number {
  if (poolOffset + 8 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += 8;
  return at;
}

export function uuidv7(nowMs: number = Date.now()): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    // Start each millisecond at a random point in the lower half so the counter rarely overflows.
    counter = pool[randomBytes8()]! & 0x7ff;
    msPrefix = '';
  } else {
    counter++;
    if (counter > 0xfff) {
      // More than 2,048 ids in one millisecond: borrow the next millisecond rather than repeat.
      lastMs++;
      counter = 0;
      msPrefix = '';
    }
  }
  if (msPrefix === '') {
    const msHex = lastMs.toString(16).padStart(12, '0');
    msPrefix = msHex.slice(0, 8) + '-' + msHex.slice(8, 12) + '-7';
  }
  const r = randomBytes8();
  return (
    msPrefix +
    HEX[counter >> 8]![1] +
    HEX[counter & 0xff] +
    '-' +
    HEX[(pool[r]! & 0x3f) | 0x80] +
    HEX[pool[r + 1]!] +
    '-' +
    HEX[pool[r + 2]!] +
    HEX[pool[r + 3]!] +
    HEX[pool[r + 4]!] +
    HEX[pool[r + 5]!] +
    HEX[pool[r + 6]!] +
    HEX[pool[r + 7]!]
  );
}

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * An incoming request id is honoured only when it is short printable ASCII; anything else could be
 * used to smuggle content into the trail, so a fresh id is generated instead.
 */
export function isAcceptableRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID.test(value);
}
