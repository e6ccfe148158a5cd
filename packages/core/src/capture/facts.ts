import type { IncomingHttpHeaders } from 'node:http';
import type { AuditContext } from './context.js';

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
