import { VIEW_EVENT } from '../access/read-audit.js';
import { ApiError, badParameter } from '../http/errors.js';
import { jsonText } from '../http/responses.js';
import type { ApiResponse } from '../http/types.js';
import type { ApiContext, Call } from './call.js';

/**
 * `GET /records/:id`: one record, exactly as stored. A record outside the viewer's scope is answered
 * exactly like one that does not exist (404), so ids cannot be probed across scopes.
 */

const ID = /^[\x21-\x7e]{1,128}$/;

export async function getRecord(ctx: ApiContext, call: Call, rawId: string): Promise<ApiResponse> {
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    throw badParameter('id', 'is not valid percent-encoding', 'a record id, as in a record\'s "id" field');
  }
  if (!ID.test(id)) throw badParameter('id', 'is not a record id', 'a record id (1-128 printable characters), as in a record\'s "id" field');
  const line = await ctx.options.store.get(id, call.viewer.scope === undefined ? [] : [call.viewer.scope]);
  await ctx.reads.read(VIEW_EVENT, call.request, call.viewer, {
    endpoint: call.endpoint,
    filters: {},
    count: line === undefined ? 0 : 1,
    extra: { id },
  });
  if (line === undefined) throw new ApiError(404, 'not_found', 'No record with this id is visible to you.');
  return jsonText(200, line);
}
