import { badParameter } from '../http/errors.js';

/** Whole numbers (limit, page, buckets) within bounds; anything else is a 400 saying the bounds. */
export function integerParam(parameter: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,16}$/.test(text)) throw badParameter(parameter, 'not a whole number', `a whole number from ${min} to ${max}`);
  const n = Number(text);
  if (n < min || n > max) throw badParameter(parameter, `${n} is out of range`, `a whole number from ${min} to ${max}`);
  return n;
}

/** `gte_duration_ms` / `lte_duration_ms`: any decimal number of milliseconds (EMQX answers `lte_duration_ms=-1` with nothing, not an error). */
export function durationParam(parameter: string, text: string): number {
  if (!/^-?\d{1,15}(\.\d{1,6})?$/.test(text)) throw badParameter(parameter, 'not a number', 'a number of milliseconds, such as 250 or 12.5');
  return Number(text);
}

/** One of a few words. */
export function choiceParam<T extends string>(parameter: string, text: string | undefined, choices: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if (!(choices as readonly string[]).includes(text)) throw badParameter(parameter, `${JSON.stringify(text.slice(0, 32))} is not accepted`, choices.join(' or '));
  return text as T;
}
