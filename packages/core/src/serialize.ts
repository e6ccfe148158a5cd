import { canonicalJson } from './canonical.js';

/**
 * One serialisation per record, shared by every sink: canonical JSON (RFC 8785). Records are built
 * with keys in canonical order, so JSON.stringify is canonical; a record whose copy could not keep
 * that order (array-index keys, a truncation marker) is flagged and takes the slower canonicalJson.
 */

const kUnsorted = Symbol('auditkit.unsorted');

export function markUnsorted(record: object): void {
  (record as Record<symbol, unknown>)[kUnsorted] = true;
}

export function serializeRecord(record: object): string {
  return (record as Record<symbol, unknown>)[kUnsorted] ? canonicalJson(record) : JSON.stringify(record);
}
