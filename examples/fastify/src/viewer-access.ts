import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Who may read the trail in this example: whoever presents the viewer token as a Bearer credential
 * (AUDIT_VIEWER_TOKEN, or a random one printed at start). A real app checks its own session and roles
 * here instead; the query API refuses to start without some `authorize`.
 */
export function viewerAccess(token = process.env.AUDIT_VIEWER_TOKEN ?? randomBytes(18).toString('base64url')) {
  const expected = Buffer.from(`Bearer ${token}`);
  return {
    authorize(req: { headers: IncomingHttpHeaders }): { viewer: string } | false {
      const given = Buffer.from(req.headers.authorization ?? '');
      return given.length === expected.length && timingSafeEqual(given, expected) ? { viewer: 'example-auditor' } : false;
    },
    describe: () => (process.env.AUDIT_VIEWER_TOKEN ? 'token from AUDIT_VIEWER_TOKEN' : `Authorization: Bearer ${token}`),
  };
}
