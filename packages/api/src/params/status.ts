import type { Range, StatusMatch } from '@auditkit/store';
import { badParameter } from '../http/errors.js';
import { parseList } from './values.js';

/** `http_status_code`: codes and ranges, comma-listed, `!` to exclude: `404`, `>=400`, `<500`, `400-499`, `5xx`. */

const ACCEPTED = 'codes and ranges from 100 to 599: 404, >=400, >400, <=499, <500, 400-499, 4xx; comma-listed, ! to exclude';

export function parseStatus(parameter: string, text: string): StatusMatch {
  const { values: items, negate } = parseList(parameter, text, 16);
  const values: number[] = [];
  const ranges: Range[] = [];
  for (const item of items) {
    let m: RegExpExecArray | null;
    if (/^\d{3}$/.test(item)) {
      values.push(code(parameter, item));
    } else if ((m = /^(>=|<=|>|<)(\d{3})$/.exec(item)) !== null) {
      const n = code(parameter, m[2]!);
      if (m[1] === '>=') ranges.push({ gte: n });
      else if (m[1] === '>') ranges.push({ gte: n + 1 });
      else if (m[1] === '<=') ranges.push({ lte: n });
      else ranges.push({ lte: n - 1 });
    } else if ((m = /^(\d{3})-(\d{3})$/.exec(item)) !== null) {
      const low = code(parameter, m[1]!);
      const high = code(parameter, m[2]!);
      if (low > high) throw badParameter(parameter, `the range ${item} is empty`, ACCEPTED);
      ranges.push({ gte: low, lte: high });
    } else if ((m = /^([1-5])xx$/i.exec(item)) !== null) {
      const hundred = Number(m[1]) * 100;
      ranges.push({ gte: hundred, lte: hundred + 99 });
    } else {
      throw badParameter(parameter, `${JSON.stringify(item.slice(0, 32))} is not a status code or range`, ACCEPTED);
    }
  }
  return { values, ranges, negate };
}

function code(parameter: string, digits: string): number {
  const n = Number(digits);
  if (n < 100 || n > 599) throw badParameter(parameter, `${digits} is not an HTTP status`, ACCEPTED);
  return n;
}
