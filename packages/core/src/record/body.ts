import type { IncomingHttpHeaders } from 'node:http';
import { redactJson, type RedactionRules } from '../redact/redact.js';
import type { BodyRecorded } from '../model/record.js';

/**
 * The request body as recorded. A parsed body (JSON, or a form a body parser turned into an object)
 * is redacted and capped; anything else (text, raw bytes, multipart, a body nobody parsed) is
 * summarised by content type and size, never recorded raw: EMQX replaces non-JSON bodies whole for
 * the same reason.
 */

export interface RecordedBody {
  /** The redacted body as canonical JSON text; `null` when absent or not structured. */
  json: string;
  body_type: string | null;
  body_bytes: number | null;
  body_recorded: BodyRecorded;
  truncated: boolean;
}

function contentType(headers: IncomingHttpHeaders): string | null {
  const raw = headers['content-type'];
  if (typeof raw !== 'string' || raw.length === 0) return null;
  const semi = raw.indexOf(';');
  return (semi === -1 ? raw : raw.slice(0, semi)).trim().toLowerCase().slice(0, 128) || null;
}

function contentLength(headers: IncomingHttpHeaders): number | null {
  const raw = headers['content-length'];
  if (typeof raw !== 'string') return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

function isStructured(body: unknown): boolean {
  if (body === null || typeof body !== 'object') return typeof body === 'number' || typeof body === 'boolean';
  if (Array.isArray(body)) return true;
  const proto = Object.getPrototypeOf(body);
  return proto === Object.prototype || proto === null;
}

export function recordBody(body: unknown, headers: IncomingHttpHeaders, rules: RedactionRules, budget: number): RecordedBody {
  const type = contentType(headers);
  const length = contentLength(headers);
  if (isStructured(body)) {
    // An empty object is what some parsers leave when there was no body at all.
    if ((length === null || length === 0) && headers['transfer-encoding'] === undefined && isEmptyObject(body)) {
      return { json: 'null', body_type: type, body_bytes: null, body_recorded: 'none', truncated: false };
    }
    const { json, truncated } = redactJson(rules, 'body', body, budget);
    return {
      json: json ?? 'null',
      body_type: type,
      body_bytes: length,
      body_recorded: truncated ? 'truncated' : 'full',
      truncated,
    };
  }
  let bytes = length;
  if (typeof body === 'string') bytes = Buffer.byteLength(body);
  else if (body instanceof Uint8Array) bytes = body.byteLength;
  const present = bytes !== null && bytes > 0 ? true : body !== undefined && body !== null;
  return {
    json: 'null',
    body_type: type,
    body_bytes: bytes,
    body_recorded: present || (length ?? 0) > 0 ? 'summary' : 'none',
    truncated: false,
  };
}

function isEmptyObject(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0;
}
