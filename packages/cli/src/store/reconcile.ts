import { DAY_MICROS, type AuditFilter } from '@auditkit/store';
import { OUTCOME_CODES, type CommandOutcome } from '../audit/outcome.js';
import type { Streams } from '../streams.js';
import { ageFlag } from './import.js';
import type { StoreArgument } from './store-argument.js';
import { openStoreUrl } from './store-url.js';
import { readTrail, type TrailProblem } from './trail-reader.js';

export interface ReconcileFlags {
  store?: StoreArgument;
  maxAgeDays?: string;
  maxRecords?: string;
  allNodes?: boolean;
  json?: boolean;
}

export interface ReconcileReport {
  ok: boolean;
  /** Epoch µs: the span compared. */
  window: { from: number | null; to: number | null };
  nodes: string[] | 'all';
  fileRecords: number;
  storeRecords: number;
  missingFromStore: string[];
  missingFromFiles: string[];
  problems: TrailProblem[];
}

/**
 * `auditkit reconcile <files or dirs> --store <url> [--max-age-days 92] [--max-records 10000000] [--all-nodes] [--json]`
 *
 * Compares the ids in trail files with those in a store, within the span both should hold: from the
 * store's age limit (or, for a store at its record cap, its oldest record, if later), to the files'
 * newest record: older records are gone by retention, not lost. The limits are the application's, so
 * they are flags (defaults: the store's defaults). Store records are compared for the nodes that wrote the files
 * (a fleet's store holds other nodes' records too), unless --all-nodes. Exit 0 when both sides agree,
 * 1 on any difference (or unreadable lines), 2 on usage errors.
 */
export async function reconcileCommand(paths: readonly string[], flags: ReconcileFlags, io: Streams): Promise<CommandOutcome> {
  if (paths.length === 0) throw new Error('give the audit files or directories to reconcile');
  if (!flags.store?.url) throw new Error('--store is required: sqlite:./audit.db or postgres://user@host/db');
  const maxAgeDays = ageFlag(flags.maxAgeDays);
  const maxRecords = recordsFlag(flags.maxRecords);
  const problems: TrailProblem[] = [];
  const fileIds = new Map<string, number>();
  const nodes = new Set<string>();
  let newest: number | null = null;
  for await (const r of readTrail(paths, problems)) {
    fileIds.set(r.id, r.time);
    if (r.node !== undefined) nodes.add(r.node);
    if (newest === null || r.time > newest) newest = r.time;
  }
  const store = await openStoreUrl(flags.store.url);
  let report: ReconcileReport;
  try {
    // Older than the age limit: gone by retention. A store at its record cap has also trimmed what is
    // older than its oldest record. Anything else missing is missing.
    let from = maxAgeDays === null ? null : Date.now() * 1000 - maxAgeDays * DAY_MICROS;
    const oldest = await store.oldest();
    if (oldest !== null && maxRecords !== null && (await store.count([], maxRecords)).value >= maxRecords) from = from === null ? oldest.time : Math.max(from, oldest.time);
    const filter: AuditFilter = { time: { ...(from !== null ? { gte: from } : {}), ...(newest !== null ? { lte: newest } : {}) } };
    if (!flags.allNodes && nodes.size > 0) filter.match = { node: { values: [...nodes], negate: false } };
    const inStore = new Set<string>();
    const missingFromFiles: string[] = [];
    if (newest !== null || flags.allNodes) {
      for await (const batch of store.scan([filter], 2000)) {
        for (const line of batch) {
          const id = (JSON.parse(line) as { id: string }).id;
          inStore.add(id);
          if (!fileIds.has(id)) missingFromFiles.push(id);
        }
      }
    }
    const missingFromStore: string[] = [];
    for (const [id, time] of fileIds) if ((from === null || time >= from) && !inStore.has(id)) missingFromStore.push(id);
    report = {
      ok: missingFromStore.length === 0 && missingFromFiles.length === 0 && problems.length === 0,
      window: { from, to: newest },
      nodes: flags.allNodes ? 'all' : [...nodes].sort(),
      fileRecords: fileIds.size,
      storeRecords: inStore.size,
      missingFromStore: missingFromStore.sort(),
      missingFromFiles: missingFromFiles.sort(),
      problems,
    };
  } finally {
    await store.close();
  }
  if (flags.json) io.out.write(JSON.stringify(report, null, 2) + '\n');
  else io.out.write(formatReconcile(report));
  const meta = { fileRecords: report.fileRecords, storeRecords: report.storeRecords, missingFromStore: report.missingFromStore.length, missingFromFiles: report.missingFromFiles.length, problems: report.problems.length };
  return report.ok ? { exitCode: 0, meta } : { exitCode: 1, failure: OUTCOME_CODES.different, meta };
}

/** `--max-records`: the store's record cap (default 10,000,000, the store's default); `none` for no cap. */
function recordsFlag(value: string | undefined): number | null {
  if (value === undefined) return 10_000_000;
  if (value === 'none') return null;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--max-records must be a whole number or "none", got ${JSON.stringify(value)}`);
  return n;
}

const iso = (micros: number | null): string => (micros === null ? 'open' : new Date(Math.floor(micros / 1000)).toISOString());

export function formatReconcile(r: ReconcileReport): string {
  const lines = [
    `compared ${iso(r.window.from)} .. ${iso(r.window.to)} for ${r.nodes === 'all' ? 'all nodes' : `node ${r.nodes.join(', ')}`}: ${r.fileRecords} records in the files, ${r.storeRecords} in the store`,
  ];
  const list = (title: string, ids: string[]): void => {
    if (ids.length === 0) return;
    lines.push(`${title} (${ids.length}):`);
    for (const id of ids.slice(0, 50)) lines.push(`  ${id}`);
    if (ids.length > 50) lines.push(`  … ${ids.length - 50} more (use --json for all)`);
  };
  list('in the files, missing from the store', r.missingFromStore);
  list('in the store, missing from the files', r.missingFromFiles);
  for (const p of r.problems.slice(0, 50)) lines.push(`${p.file}:${p.lineNumber}: ${p.problem}`);
  lines.push(r.ok ? 'OK: the files and the store agree' : 'DIFFERENT: see above');
  return lines.join('\n') + '\n';
}
