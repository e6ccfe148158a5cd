import type { ResponseFacts } from '../capture/facts.js';
import type { RedactionRules } from '../redact/redact.js';
import { recordBody, type RecordedBody } from './body.js';

/**
 * The response body, for records made at level `request-response`: redacted and capped by the same
 * rules as the request body (path rules under `body.` apply to both). Frameworks hand over what the
 * handler answered, often already serialised: a JSON text is parsed back so that redaction can see
 * its keys; anything else is summarised by type and size, as a request body would be. Encoded
 * (compressed) bytes are never decoded here; an object the handler answered is recorded as it was.
 */

/** JSON texts longer than this are summarised rather than parsed on the request's completion. */
const MAX_PARSE_BYTES = 1024 * 1024;

const NO_RESPONSE: RecordedBody = { json: 'null', body_type: null, body_bytes: null, body_recorded: 'none', truncated: false };

function isJsonType(type: string | undefined): boolean {
  if (type === undefined) return false;
  const t = type.split(';', 1)[0]!.trim().toLowerCase();
  return t === 'application/json' || t.endsWith('+json');
}

export function recordResponseBody(response: ResponseFacts | undefined, rules: RedactionRules, budget: number): RecordedBody {
  if (response === undefined) return NO_RESPONSE;
  let body = response.body;
  let bytes = response.contentLength;
  const encoded = response.contentEncoding !== undefined && response.contentEncoding.toLowerCase() !== 'identity';
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    bytes ??= length;
    if (!encoded && isJsonType(response.contentType) && length <= MAX_PARSE_BYTES) {
      try {
        body = JSON.parse(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
      } catch {
        // Not JSON after all: summarised below.
      }
    }
  }
  const headers: Record<string, string> = {};
  if (response.contentType !== undefined) headers['content-type'] = response.contentType;
  if (bytes !== undefined) headers['content-length'] = String(bytes);
  // A structured body with no length known was still sent: do not mistake it for "no body".
  if (bytes === undefined && body !== undefined) headers['transfer-encoding'] = 'chunked';
  return recordBody(body, headers, rules, budget);
}
