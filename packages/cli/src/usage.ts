/**
 * The usage texts, ours rather than commander's generated help: operators and scripts have read these
 * since the first release, and `auditkit <command> --help` prints that command's text only.
 */

const VERIFY_USAGE = `  auditkit verify <files or directories...> --key <public.jwk> [--anchors <file>]... [--json] [--require-signed]
      Checks hash chains and signed checkpoints of auditkit audit files (.log and .log.gz).
      --anchors: a copy of the checkpoints kept elsewhere (e.g. rsyslog's file); each must be in the files.
      Exit 0 when intact, 1 when anything was tampered with or damaged (or nothing is chained), 2 on usage errors.
`;
const KEYGEN_USAGE = `  auditkit keygen [--out <dir>] [--name audit-signing] [--alg ed25519|es256] [--force]
      Writes <name>.key (private, PKCS#8 PEM, 0600) and <name>.pub.jwk (public JWK).
`;
const IMPORT_USAGE = `  auditkit import <files or directories...> --store <sqlite:file | postgres://…> [--max-age-days 92|none] [--json]
      Loads audit files (.log, .jsonl, .gz; chained or not) into a store. Importing twice changes nothing.
`;
const RECONCILE_USAGE = `  auditkit reconcile <files or directories...> --store <url> [--max-age-days 92|none] [--max-records N|none] [--all-nodes] [--json]
      Lists record ids in the files but not the store, and the reverse, within the store's retention window.
      Exit 0 when they agree, 1 on any difference.
`;
const SERVE_USAGE = `  auditkit serve --store <url> [--host 127.0.0.1] [--port 0]
      The audit dashboard and query API over a store, on this machine only by default, guarded by a
      random token printed in its address. Every read is recorded in the store.
`;

export const USAGES: Readonly<Record<string, string>> = { verify: VERIFY_USAGE, keygen: KEYGEN_USAGE, import: IMPORT_USAGE, reconcile: RECONCILE_USAGE, serve: SERVE_USAGE };

export const USAGE = `usage:\n${Object.values(USAGES).join('')}  auditkit --version\n`;

/** What `auditkit <command> --help` prints; the whole usage for the program itself. */
export function usageOf(command: string | undefined): string {
  const usage = command === undefined ? undefined : USAGES[command];
  return usage === undefined ? USAGE : `usage:\n${usage}`;
}
