import type { IncomingHttpHeaders } from 'node:http';
import type { AuditContext } from './context.js';
import type { RouteLevel } from '../model/record.js';

/**
 * The contract between the core and a framework adapter. An adapter reads its framework's objects,
 * fills these facts, and hands them to the core at request start and at completion. Nothing here
 * names a framework.
 */

/** Per-route audit setting: Fastify's `config.audit`, or a rule in `options.routes`. */
export type RouteAuditSetting =
  | boolean
  | {
      /** Record (true) or skip (false) this route whatever the method. */
      audit?: boolean;
      /** Overrides the derived operation_type for this route. */
      operationType?: string;
      /** How much this route's records hold: `metadata`, `request` (the default), `request-response`, or `none` (no record). */
      level?: RouteLevel;
    };

/** What is known when the request arrives. */
export interface StartFacts {
  method: string;
  headers: IncomingHttpHeaders;
  /** The peer address of the socket (before any proxy handling). */
  remoteAddress: string | undefined;
  /** Route template, when the framework has matched it already (Fastify). */
  route?: string | undefined;
  routeSetting?: RouteAuditSetting | undefined;
}

/** What is known when the response has been sent, or the client has gone. */
export interface CompletionFacts {
  /** Route template with every mount prefix; `undefined` when no route matched. */
  route: string | undefined;
  routeSetting?: RouteAuditSetting | undefined;
  /** Route parameters. */
  params: object | undefined;
  /** Parsed query string. */
  query: object | undefined;
  /** Parsed request body, as the application's body parser left it. */
  body: unknown;
  /** The status the framework finally sent. */
  statusCode: number;
  /** True when the client went away before the response was complete. */
  aborted: boolean;
  /** Whether response headers had been sent when the client went away. */
  headersSent: boolean;
  /**
   * The request's path as sent (the query may be left on: it is cut off). Recorded, masked and capped,
   * only when no route matched (`route` undefined), so an auditor can tell what was attempted.
   */
  path?: string | undefined;
  /**
   * What the handler answered, handed over only when the context's `wantsResponseBody` is set (a
   * route at level `request-response` may need it); the core decides whether it is recorded.
   */
  response?: ResponseFacts | undefined;
}

/** The response body as the framework was given it, and the headers that describe it. */
export interface ResponseFacts {
  /** An object, a string, a Buffer, or something that cannot be recorded (a stream): summarised. */
  body: unknown;
  contentType: string | undefined;
  contentLength: number | undefined;
  contentEncoding: string | undefined;
}

/** Builds ResponseFacts from the body and a header getter (`res.getHeader`, Fastify's `reply.getHeader`). */
export function responseFacts(body: unknown, header: (name: string) => unknown): ResponseFacts {
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined);
  const length = header('content-length');
  const n = typeof length === 'number' ? length : typeof length === 'string' ? Number(length) : Number.NaN;
  return {
    body,
    contentType: text(header('content-type')),
    contentLength: Number.isSafeInteger(n) && n >= 0 ? n : undefined,
    contentEncoding: text(header('content-encoding')),
  };
}

/**
 * The adapter's side of a request: how the core sets a response header and starts watching for
 * completion when a request it first skipped becomes audited (a handler emitted an event). One static
 * object per adapter; `carrier` is the adapter's own per-request object.
 */
export interface AdapterBinding<Carrier> {
  setHeader(carrier: Carrier, name: string, value: string): void;
  /** Start watching for completion and call `ctx.complete(facts)` once, when it comes. */
  watchCompletion(carrier: Carrier, ctx: AuditContext<Carrier>): void;
}

/** Facts handed to user callbacks (`skip`, `from`, ...). Values are raw, unredacted. */
export interface AuditFacts {
  method: string;
  operationId: string;
  statusCode: number;
  headers: IncomingHttpHeaders;
  params: object | undefined;
  query: object | undefined;
  sourceIp: string;
  requestId: string;
  aborted: boolean;
}
