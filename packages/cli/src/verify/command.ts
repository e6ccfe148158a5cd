import { verifyAuditLog } from '@auditkit/core';
import { OUTCOME_CODES, type CommandOutcome } from '../audit/outcome.js';
import type { Streams } from '../streams.js';
import { formatReport } from './report.js';

export interface VerifyFlags {
  key?: string;
  anchors?: string[];
  json?: boolean;
  requireSigned?: boolean;
}

/** `auditkit verify <files or dirs> --key public.jwk [--anchors <file>]... [--json] [--require-signed]` */
export async function verifyCommand(paths: readonly string[], flags: VerifyFlags, io: Streams): Promise<CommandOutcome> {
  if (paths.length === 0) throw new Error('give the audit files or directories to verify');
  const report = await verifyAuditLog([...paths], {
    key: flags.key === undefined ? undefined : { file: flags.key },
    requireSigned: flags.requireSigned === true,
    ...(flags.anchors ? { anchors: flags.anchors } : {}),
  });
  io.out.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
  const meta = { files: report.files.length, records: report.records, checkpoints: report.checkpoints, errors: report.errors, warnings: report.warnings };
  if (report.ok) return { exitCode: 0, meta };
  // The same distinction as the report's last line: files never chained are not damaged.
  const unchained = report.problems.filter((p) => p.severity === 'error').every((p) => p.kind === 'no_chain');
  return { exitCode: 1, failure: unchained ? OUTCOME_CODES.notTamperEvident : OUTCOME_CODES.tampered, meta };
}
