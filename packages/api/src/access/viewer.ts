import type { AuditFilter } from '@auditkit/store';
import { ApiError } from '../http/errors.js';
import type { AuthorizeRequest } from '../http/types.js';
import { FILTER_PARAMETERS, parseFilter } from '../params/filter.js';
import { formatList } from '../params/values.js';

/**
 * Who is reading, and what they may see. `authorize` is the application's own check (its session, its
 * tokens, its roles); it names the viewer or refuses, and may confine the viewer to a scope: filter
 * parameters (`{ target_type: 'tenant', target_id: '42' }`) ANDed to everything the viewer asks.
 */

/** Filter parameters as an object: the names and syntax of the query string; an array is a comma list. */
export type FilterParams = Readonly<Record<string, string | number | readonly (string | number)[]>>;

export interface Authorization {
  /** The viewer's name, recorded as `source` of every read they make. */
  viewer: string;
  /** Confines every query, export, distinct, histogram and live call of this viewer. */
  scope?: FilterParams;
}

/**
 * Names the viewer (`{ viewer, scope? }`), or refuses: return `false`/`null` for 401, throw an error
 * whose `status` (or `statusCode`) is 401 or 403 for that answer. Any other error is the application's
 * and reaches its framework's error handling unchanged.
 */
export type Authorize = (request: AuthorizeRequest) => Authorization | false | null | undefined | Promise<Authorization | false | null | undefined>;

export interface Viewer {
  /** `null` for a public API. */
  name: string | null;
  /** The scope as the filter it becomes; undefined when the viewer sees everything. */
  scope: AuditFilter | undefined;
  /** The scope as parameters, for the read's own record. */
  scopeParams: Record<string, string> | undefined;
}

export const PUBLIC_VIEWER: Viewer = Object.freeze({ name: null, scope: undefined, scopeParams: undefined });

export async function identify(authorize: Authorize, request: AuthorizeRequest): Promise<Viewer> {
  let answer: Awaited<ReturnType<Authorize>>;
  try {
    answer = await authorize(request);
  } catch (err) {
    const status = statusOf(err);
    if (status === 401) throw new ApiError(401, 'unauthenticated', 'Sign in to read the audit log.');
    if (status === 403) throw new ApiError(403, 'forbidden', 'You may not read the audit log.');
    throw err;
  }
  if (answer === false || answer === null || answer === undefined) throw new ApiError(401, 'unauthenticated', 'Sign in to read the audit log.');
  if (typeof answer !== 'object' || typeof answer.viewer !== 'string' || answer.viewer.length === 0 || answer.viewer.length > 256) {
    throw new TypeError('[auditkit] authorize() must return { viewer: string (1-256 characters), scope? }, or false to refuse; the request was refused');
  }
  if (answer.scope === undefined) return { name: answer.viewer, scope: undefined, scopeParams: undefined };
  const scopeParams = scopeParameters(answer.scope);
  let scope: AuditFilter;
  try {
    scope = parseFilter(new Map(Object.entries(scopeParams)));
  } catch (err) {
    // Never run a query unscoped because the scope was wrong: refuse, and tell the application.
    throw new TypeError(`[auditkit] authorize() returned a scope that cannot be used (${(err as Error).message}); the request was refused`, { cause: err });
  }
  return { name: answer.viewer, scope, scopeParams };
}

function scopeParameters(scope: unknown): Record<string, string> {
  if (scope === null || typeof scope !== 'object' || Array.isArray(scope)) {
    throw new TypeError('[auditkit] authorize() returned a scope that is not an object of filter parameters; the request was refused');
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(scope)) {
    if (!FILTER_PARAMETERS.includes(name)) {
      throw new TypeError(`[auditkit] authorize() returned a scope with ${JSON.stringify(name)}, which is not a filter parameter (${FILTER_PARAMETERS.join(', ')}); the request was refused`);
    }
    if (typeof value === 'string' || typeof value === 'number') out[name] = String(value);
    else if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' || typeof v === 'number')) out[name] = formatList(value.map(String));
    else throw new TypeError(`[auditkit] authorize() returned a scope whose ${name} is not a string, a number or a non-empty array of them; the request was refused`);
    if (out[name]!.length === 0) throw new TypeError(`[auditkit] authorize() returned a scope whose ${name} is empty; the request was refused`);
  }
  return out;
}

function statusOf(err: unknown): number | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as { status?: unknown; statusCode?: unknown };
  const s = e.status ?? e.statusCode;
  return typeof s === 'number' ? s : undefined;
}
