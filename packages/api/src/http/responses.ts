import type { ApiError } from './errors.js';
import type { ApiResponse } from './types.js';

/**
 * Headers every answer carries: the trail is never cached by a browser or a proxy, and a browser never
 * sniffs a record's content into something executable.
 */
export function baseHeaders(contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
}

export const JSON_TYPE = 'application/json; charset=utf-8';

/** A JSON answer whose body text is already assembled (record lines go in as they were stored). */
export function jsonText(status: number, body: string): ApiResponse {
  return { status, headers: baseHeaders(JSON_TYPE), body };
}

export function json(status: number, body: unknown): ApiResponse {
  return jsonText(status, JSON.stringify(body));
}

export function errorResponse(err: ApiError): ApiResponse {
  const response = json(err.status, err);
  if (err.status === 401) response.headers['www-authenticate'] = 'Bearer realm="audit log"';
  if (err.status === 405) response.headers.allow = 'GET';
  return response;
}
