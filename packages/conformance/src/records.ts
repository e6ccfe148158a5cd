import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import * as ajv2020 from 'ajv/dist/2020.js';
import type { AuditRecord, RequestRecord } from '@auditkit/core';

/** Reading back what a test run wrote, exactly as an operator would: JSON lines from the file. */

export function tempDir(prefix = 'auditkit-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function readLines(file: string): string[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  if (text.length === 0) return [];
  if (!text.endsWith('\n')) throw new Error(`${file} does not end with a newline: a record was split`);
  return text.slice(0, -1).split('\n');
}

export function readRecords(file: string): AuditRecord[] {
  return readLines(file).map((line) => JSON.parse(line) as AuditRecord);
}

export function requestRecords(records: AuditRecord[]): RequestRecord[] {
  return records.filter((r): r is RequestRecord => r.event !== 'audit.records_dropped');
}

/**
 * Fields that legitimately differ between two runs of the same scenario, whatever the framework:
 * ids and clocks, and the Host header (each app listens on its own port).
 */
export function normalize(record: AuditRecord): unknown {
  const copy = JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
  delete copy.id;
  delete copy.time;
  delete copy.ts;
  delete copy.duration_ms;
  // A generated request id is random; an id the client sent is compared as is.
  if (typeof copy.request_id === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/.test(copy.request_id)) copy.request_id = '<generated>';
  const http = copy.http_request as { headers?: Record<string, unknown> } | undefined;
  if (http?.headers?.host) http.headers.host = '<host>';
  return copy;
}

const require = createRequire(import.meta.url);
const schema = require('@auditkit/core/schema/audit-record.schema.json') as object;
type AjvClass = typeof ajv2020.Ajv2020;
const Ajv = ((ajv2020 as unknown as { default: AjvClass }).default ?? ajv2020.Ajv2020) as AjvClass;
const ajv = new Ajv({ allErrors: true, strict: false });
export const validateRecord = ajv.compile(schema);

export function schemaErrors(record: unknown): string | undefined {
  if (validateRecord(record)) return undefined;
  return ajv.errorsText(validateRecord.errors);
}
