import { basename } from 'node:path';
import type { VerifyReport } from '@auditkit/core';

/** The human form of a verification report; `--json` prints the report itself. */
export function formatReport(report: VerifyReport): string {
  const out: string[] = [];
  const n = (x: number): string => x.toLocaleString('en-US');
  out.push(`auditkit verify: ${n(report.files.length)} file(s), ${n(report.records)} record(s), ${n(report.checkpoints)} checkpoint(s), ${report.chains.length} chain(s)`);
  for (const c of report.chains) {
    const state = c.closed ? 'closed' : c.signedThrough === c.lastSeq ? 'signed to its head' : `signed through ${n(c.signedThrough)}`;
    out.push(`  chain ${c.chain}: seq ${n(c.firstSeq)}-${n(c.lastSeq)}, ${state}`);
  }
  const a = report.anchors;
  if (a) {
    out.push(
      `  anchors: ${n(a.checkpoints)} checkpoint(s) in ${a.files.map((f) => basename(f)).join(', ')}, ${n(a.matched)} found in the files` +
        (a.older > 0 ? `, ${n(a.older)} older than the files` : '') +
        (a.ignored > 0 ? `, ${n(a.ignored)} of other trails or keys` : ''),
    );
  }
  const place = (p: VerifyReport['problems'][number]): string =>
    [p.file ? `${basename(p.file)}${p.line ? ':' + p.line : ''}` : '', p.seq !== undefined ? `seq ${p.seq}${p.seqEnd !== undefined && p.seqEnd !== p.seq ? '-' + p.seqEnd : ''}` : '']
      .filter(Boolean)
      .join(' ');
  for (const severity of ['error', 'warning'] as const) {
    const list = report.problems.filter((p) => p.severity === severity);
    if (list.length === 0) continue;
    out.push('');
    out.push(severity === 'error' ? `PROBLEMS (${list.length}):` : `WARNINGS (${list.length}):`);
    for (const p of list) out.push(`  ${p.kind.padEnd(20)} ${place(p).padEnd(40)} ${p.message}`);
  }
  out.push('');
  const errors = report.problems.filter((p) => p.severity === 'error');
  // Files written without a chain are not damaged: they were never tamper-evident.
  if (!report.ok && errors.every((p) => p.kind === 'no_chain')) {
    out.push('NOT TAMPER-EVIDENT: no chained records, so nothing could be verified (turn the chain on: file: { chain: { key } })');
  } else out.push(report.ok ? 'INTACT' : `TAMPERED OR DAMAGED: ${report.errors} problem(s)`);
  return out.join('\n') + '\n';
}
