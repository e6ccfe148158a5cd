import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Authorization, AuthorizeRequest } from '@auditkit/api';

/**
 * The token that guards `auditkit serve`, as a notebook server's does: random, printed once, never
 * stored. The API accepts it only as `Authorization: Bearer …`, so it never appears in a query string
 * the API could record; the page shell (`/`, `/assets/*`, static code without any record) loads
 * without it, and the page moves a `?token=` from its address into sessionStorage.
 */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export function bearerAuthorize(token: string, viewer: string): (request: AuthorizeRequest) => Authorization | false {
  const expected = Buffer.from(token);
  return function authorizeBearer(request) {
    if (isPageShell(request.path)) return { viewer };
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (m === null) return false;
    const given = Buffer.from(m[1]!);
    return given.length === expected.length && timingSafeEqual(given, expected) ? { viewer } : false;
  };
}

function isPageShell(path: string): boolean {
  return path === '/' || path === '' || path.startsWith('/assets/');
}
