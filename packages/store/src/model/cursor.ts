/**
 * The keyset cursor over (time, id). Clients see it as an opaque base64url string; the store sees
 * the position of the last row of a page, so the next page is one index range scan, at any depth.
 */

export interface Cursor {
  /** The record's `time`, epoch µs. */
  time: number;
  /** The record's `id`. */
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.time, cursor.id]), 'utf8').toString('base64url');
}

/** The cursor a string encodes, or `undefined` when it is not one of ours (the API answers 400). */
export function decodeCursor(text: string): Cursor | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > 512 || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
  const [time, id] = parsed as unknown[];
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) return undefined;
  if (typeof id !== 'string' || id.length === 0 || id.length > 128) return undefined;
  return { time, id };
}
