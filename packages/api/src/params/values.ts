import { badParameter } from '../http/errors.js';

/**
 * A comma list (OR) with an optional leading `!` (none of them): `source=!alice,bob`. A value that
 * itself holds a comma or starts with `!` is written with a backslash: `\,` and `\!` (and `\\`).
 */

export interface ParsedList {
  values: string[];
  negate: boolean;
}

export const MAX_LIST_VALUES = 100;
export const MAX_VALUE_LENGTH = 1024;

const ACCEPTED = 'a value, a comma list (a,b), or ! before the list to exclude (!a,b); write \\, for a comma inside a value';

export function parseList(parameter: string, text: string, maxLength = MAX_VALUE_LENGTH): ParsedList {
  const negate = text.startsWith('!');
  const body = negate ? text.slice(1) : text;
  const values: string[] = [];
  let current = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\' && i + 1 < body.length && (body[i + 1] === ',' || body[i + 1] === '\\' || body[i + 1] === '!')) {
      current += body[++i];
    } else if (c === ',') {
      values.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  values.push(current);
  if (values.some((v) => v.length === 0)) throw badParameter(parameter, negate && body.length === 0 ? '! with nothing to exclude' : 'an empty value in the list', ACCEPTED);
  if (values.length > MAX_LIST_VALUES) throw badParameter(parameter, `${values.length} values`, `at most ${MAX_LIST_VALUES} values`);
  for (const v of values) {
    if (v.length > maxLength) throw badParameter(parameter, `a value of ${v.length} characters`, `values of at most ${maxLength} characters`);
  }
  return { values, negate };
}

/** Writes values back as a list parseList reads (for scopes given as arrays). */
export function formatList(values: readonly string[]): string {
  return values.map((v) => v.replace(/[\\,]/g, (c) => '\\' + c).replace(/^!/, '\\!')).join(',');
}
