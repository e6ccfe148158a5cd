/**
 * RFC 8785 (JSON Canonicalization Scheme) for audit records: object keys sorted by UTF-16 code units,
 * numbers and strings written as ECMAScript's JSON.stringify writes them, no whitespace.
 *
 * Every record auditkit writes is canonical, so a line can be hashed, signed and compared byte for
 * byte. Records are built with their keys already in sorted order (the redaction walker sorts each
 * object it copies), so the native JSON.stringify produces canonical text at full speed. The one thing
 * insertion order cannot express is an object with array-index keys ("2", "10"): JavaScript always
 * enumerates those first, in numeric order, where RFC 8785 wants "10" before "2". Such records are
 * rare (a body keyed by numbers) and take `canonicalJson`, a plain recursive serialiser.
 *
 * Our own rather than the `canonicalize` package: that one is correct (the tests use it as the
 * reference) but serialises every record through recursion and array joins; ours keeps the common
 * path on JSON.stringify. Strings must already be well-formed UTF-16, which redaction guarantees.
 */

const INDEX = /^(?:0|[1-9]\d{0,9})$/;

/** Keys JavaScript enumerates before all others, in numeric order. */
export function isArrayIndex(key: string): boolean {
  return INDEX.test(key) && Number(key) < 4294967295;
}

export function compareKeys(a: string, b: string): number {
  // Default string comparison in JavaScript is by UTF-16 code units, as RFC 8785 section 3.2.3 asks.
  return a < b ? -1 : a > b ? 1 : 0;
}

export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonical JSON has no representation for ' + String(value));
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + canonicalJson(value[i] === undefined ? null : value[i]);
        return out + ']';
      }
      const keys = Object.keys(value).sort(compareKeys);
      let out = '{';
      let first = true;
      for (const key of keys) {
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
        out += (first ? '' : ',') + JSON.stringify(key) + ':' + canonicalJson(v);
        first = false;
      }
      return out + '}';
    }
    default:
      throw new TypeError('canonical JSON has no representation for a ' + typeof value);
  }
}
