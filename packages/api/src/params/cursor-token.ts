import { decodeCursor, encodeCursor, type Cursor } from '@auditkit/store';
import { badParameter } from '../http/errors.js';

/**
 * The opaque cursors clients pass back. A page cursor also says which way it travels: `next_cursor`
 * goes to older records, `prev_cursor` to newer ones, so a client just follows either. A live cursor
 * (`after`, an SSE event's `id`) is a position in the order records reached the store, not in record
 * time (so a record that arrives late, from a spool or a slow instance, is still delivered); the two
 * kinds are told apart and never mixed. A cursor is a position, never a permission: the
 * viewer's scope is applied to every page whatever cursor comes in, so a cursor made up or taken from
 * another viewer shows nothing it could not see anyway.
 */

export type Direction = 'older' | 'newer';

const NEWER = 'n.';
const LIVE = 'l.';
const ACCEPTED = 'a cursor exactly as a previous page gave it (next_cursor or prev_cursor)';

export function encodePageCursor(cursor: Cursor, direction: Direction): string {
  return direction === 'newer' ? NEWER + encodeCursor(cursor) : encodeCursor(cursor);
}

export function decodePageCursor(parameter: string, text: string): { cursor: Cursor; direction: Direction } {
  const newer = text.startsWith(NEWER);
  const cursor = decodeCursor(newer ? text.slice(NEWER.length) : text);
  if (cursor === undefined) throw badParameter(parameter, text.startsWith(LIVE) ? 'a live cursor, not a page one' : 'not a cursor this API issued', ACCEPTED);
  return { cursor, direction: newer ? 'newer' : 'older' };
}

export function encodeLiveCursor(cursor: Cursor): string {
  return LIVE + encodeCursor(cursor);
}

export function decodeLiveCursor(parameter: string, text: string): Cursor {
  const cursor = text.startsWith(LIVE) ? decodeCursor(text.slice(LIVE.length)) : undefined;
  if (cursor === undefined) {
    throw badParameter(parameter, text.startsWith(NEWER) || decodeCursor(text) !== undefined ? 'a page cursor, not a live one' : 'not a cursor this API issued', 'a live cursor exactly as /live gave it (next_cursor) or an event id of /live/stream');
  }
  return cursor;
}
