import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

/**
 * The API speaks plain objects, so it runs under any framework: a mount (Express router, Fastify
 * plugin, Koa middleware) translates its request into an ApiRequest and writes the ApiResponse back.
 */

/** The query string as the mount has it: the raw text after `?` (best: no framework parsing), or parsed pairs. */
export type QueryInput = string | URLSearchParams | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface ApiRequest {
  method: string;
  /** The path below the mount point, starting with `/` (`/records`, `/records/0190…`). Still percent-encoded. */
  path: string;
  query: QueryInput;
  headers: IncomingHttpHeaders;
  /** The socket's peer address; the viewer's address is resolved from it with the auditor's `trustProxy`. */
  remoteAddress?: string | undefined;
  /** The request id the app's audit middleware gave this request, so the read's record links to it. */
  requestId?: string | undefined;
  /** The framework's own request object (Express `req`, Fastify `request`, Koa `ctx`), for `authorize`. */
  raw?: unknown;
  /** The URL as the client sent it, mount prefix included: the dashboard redirects `/admin/audit` to `/admin/audit/`. */
  url?: string | undefined;
}

/** What `authorize` receives: the request, with its cookies parsed. */
export interface AuthorizeRequest extends ApiRequest {
  readonly cookies: Readonly<Record<string, string>>;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** A complete body. */
  body?: string;
  /**
   * A streamed body (export, Server-Sent Events). It reads from the store only as fast as the client
   * takes bytes; the mount pipes it to the response and destroys it when the client goes away.
   */
  stream?: Readable;
}
