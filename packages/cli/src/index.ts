import { parseArgs } from 'node:util';
import { verifyAuditLog, type VerifyReport } from '@auditkit/core';
import { keygen } from './keygen.js';
import { formatReport } from './report.js';
import { importCommand } from './store/import.js';
import { reconcileCommand } from './store/reconcile.js';
import { serveCommand } from './serve/command.js';

/**
 * `auditkit verify <files or dirs> --key public.jwk [--anchors <file>]... [--json] [--require-signed]`
 * `auditkit keygen [--out dir] [--name audit-signing] [--alg ed25519|es256] [--force]`
 * `auditkit import|reconcile <files or dirs> --store <url>` (src/store/)
 * `auditkit serve --store <url> [--host 127.0.0.1] [--port N]` (src/serve/): the dashboard
 *
 * Exit codes: 0 intact (warnings allowed), 1 problems found, 2 usage or input errors. Made for cron:
 * alert on a non-zero exit.
 */

export { keygen, type KeygenResult } from './keygen.js';
export { formatReport } from './report.js';
export { verifyAuditLog } from '@auditkit/core';
export { serve, type RunningServer, type ServeOptions } from './serve/serve.js';

const USAGE = `usage:
  auditkit verify <files or directories...> --key <public.jwk> [--anchors <file>]... [--json] [--require-signed]
      Checks hash chains and signed checkpoints of auditkit audit files (.log and .log.gz).
      --anchors: a copy of the checkpoints kept elsewhere (e.g. rsyslog's file); each must be in the files.
      Exit 0 when intact, 1 when anything was tampered with or damaged, 2 on usage errors.
  auditkit keygen [--out <dir>] [--name audit-signing] [--alg ed25519|es256] [--force]
      Writes <name>.key (private, PKCS#8 PEM, 0600) and <name>.pub.jwk (public JWK).
  auditkit import <files or directories...> --store <sqlite:file | postgres://…> [--max-age-days 92|none] [--json]
      Loads audit files (.log, .jsonl, .gz; chained or not) into a store. Importing twice changes nothing.
  auditkit reconcile <files or directories...> --store <url> [--max-age-days 92|none] [--max-records N|none] [--all-nodes] [--json]
      Lists record ids in the files but not the store, and the reverse, within the store's retention window.
      Exit 0 when they agree, 1 on any difference.
  auditkit serve --store <url> [--host 127.0.0.1] [--port 0]
      The audit dashboard and query API over a store, on this machine only by default, guarded by a
      random token printed in its address. Every read is recorded in the store.
`;

interface Streams {
  out: { write(s: string): unknown };
  err: { write(s: string): unknown };
}

export async function main(argv: string[], io: Streams): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'verify') return await verify(rest, io);
    if (command === 'keygen') return await generate(rest, io);
    if (command === 'import') return await importCommand(rest, io);
    if (command === 'reconcile') return await reconcileCommand(rest, io);
    if (command === 'serve') return await serveCommand(rest, io);
    if (command === '--help' || command === '-h' || command === 'help') {
      io.out.write(USAGE);
      return 0;
    }
    io.err.write(`auditkit: unknown command ${command === undefined ? '(none)' : JSON.stringify(command)}\n${USAGE}`);
    return 2;
  } catch (err) {
    io.err.write(`auditkit ${command}: ${(err as Error).message}\n`);
    return 2;
  }
}

async function verify(args: string[], io: Streams): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { key: { type: 'string' }, anchors: { type: 'string', multiple: true }, json: { type: 'boolean' }, 'require-signed': { type: 'boolean' } },
  });
  if (positionals.length === 0) throw new Error('give the audit files or directories to verify');
  const report: VerifyReport = await verifyAuditLog(positionals, {
    key: values.key === undefined ? undefined : { file: values.key },
    requireSigned: values['require-signed'] === true,
    ...(values.anchors ? { anchors: values.anchors } : {}),
  });
  io.out.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
  return report.ok ? 0 : 1;
}

async function generate(args: string[], io: Streams): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { out: { type: 'string' }, name: { type: 'string' }, alg: { type: 'string' }, force: { type: 'boolean' } },
  });
  const alg = (values.alg ?? 'ed25519').toLowerCase();
  if (alg !== 'ed25519' && alg !== 'es256') throw new Error('--alg must be ed25519 or es256');
  const result = await keygen({ out: values.out ?? '.', name: values.name ?? 'audit-signing', alg, force: values.force === true });
  io.out.write(
    `private key: ${result.privateKeyFile} (keep it secret: file: { chain: { key: { file } } })\n` +
      `public key:  ${result.publicKeyFile} (give it to verifiers: auditkit verify --key)\n` +
      `kid: ${result.kid} (${result.alg})\n`,
  );
  return 0;
}
