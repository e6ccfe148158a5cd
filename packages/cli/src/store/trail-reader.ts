import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { CHAIN_START_EVENT, CHECKPOINT_EVENT, collectFiles } from '@auditkit/core';

/**
 * Reads audit records back from JSON-lines trails, plain or gzipped, chained or not, and gives each
 * as the canonical line the store keeps: for a chained file, the record without its chain header and
 * hash, byte for byte as the core made it (so an imported record is the very line a live store
 * holds). The chain's own records (chain start, checkpoints) exist only in files and are skipped.
 */

export interface TrailRecord {
  line: string;
  id: string;
  time: number;
  node: string | undefined;
}

export interface TrailProblem {
  file: string;
  lineNumber: number;
  problem: string;
}

/** `{"chain":"…","seq":N,"prev_hash":"…",` + the record's fields + `,"hash":"…"}`. */
const CHAINED = /^\{"chain":"[^"\\]{1,64}","seq":\d{1,16},"prev_hash":"[0-9a-f]{64}",(.*),"hash":"[0-9a-f]{64}"\}$/s;

export function canonicalRecordLine(line: string): string {
  const m = CHAINED.exec(line);
  return m ? `{${m[1]}}` : line;
}

export async function* readTrail(paths: readonly string[], problems: TrailProblem[]): AsyncGenerator<TrailRecord> {
  for (const file of await collectFiles(paths)) {
    const raw = createReadStream(file);
    const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
    const lines = createInterface({ input, crlfDelay: Infinity });
    let lineNumber = 0;
    let recordsInFile = 0;
    try {
      for await (const text of lines) {
        lineNumber++;
        if (text.trim() === '') continue;
        const line = canonicalRecordLine(text);
        let record: { id?: unknown; time?: unknown; event?: unknown; node?: unknown; export_end?: unknown };
        try {
          record = JSON.parse(line) as typeof record;
        } catch {
          problems.push({ file, lineNumber, problem: 'not JSON' });
          continue;
        }
        if (record !== null && typeof record === 'object' && 'export_end' in record) {
          // The trailer of an API export (GET …/export?format=ndjson): it states whether the export
          // finished and how many records it holds, so a cut or failed export is reported, not taken
          // for a whole one.
          const problem = exportEndProblem(record.export_end, recordsInFile);
          if (problem !== undefined) problems.push({ file, lineNumber, problem });
          continue;
        }
        if (record === null || typeof record !== 'object' || typeof record.id !== 'string' || typeof record.time !== 'number') {
          problems.push({ file, lineNumber, problem: 'not an audit record (no id or time)' });
          continue;
        }
        if (record.event === CHAIN_START_EVENT || record.event === CHECKPOINT_EVENT) continue;
        recordsInFile++;
        yield { line, id: record.id, time: record.time, node: typeof record.node === 'string' ? record.node : undefined };
      }
    } catch (err) {
      problems.push({ file, lineNumber: lineNumber + 1, problem: `unreadable: ${(err as Error).message}` });
    } finally {
      raw.destroy();
    }
  }
}

/** Why an export's trailer says the file is not the whole result, or undefined when it is. */
function exportEndProblem(trailer: unknown, recordsRead: number): string | undefined {
  const t = (trailer ?? {}) as { complete?: unknown; count?: unknown; error?: unknown };
  if (t.complete !== true) return `the export is incomplete${typeof t.error === 'string' ? `: ${t.error}` : ''}`;
  if (t.count !== recordsRead) return `the export says it holds ${String(t.count)} records, the file has ${recordsRead}`;
  return undefined;
}
