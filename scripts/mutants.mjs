// Mutation testing by hand, like the benchmarks: each mutant below is a small change at one of the
// core's decision points (the kind a careless refactor or a bad merge makes). The runner applies one
// at a time to packages/core/src, runs a fast subset of the tests against the source (no build:
// scripts/core-from-src.mjs points `@auditkit/core` at packages/core/src), records whether a test
// failed (killed) or all passed (survived), and puts the file back. One test process at a time.
//
//   node scripts/mutants.mjs                 every mutant
//   node scripts/mutants.mjs clock.sign ...  only these
//   node scripts/mutants.mjs --list          the mutants and their subsets
//   node scripts/mutants.mjs --check         only whether every mutant still applies (under a second)
//   node scripts/mutants.mjs --json out.json also write the results as JSON
//
// Results and the reason for each survivor are in docs/testing.md.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = (file) => join(root, 'packages/core/src', file);

/** Fast subsets: test files (and an optional name pattern), run in this order; the first failure kills the mutant. */
const SUBSETS = {
  redact: { files: ['packages/core/test/defaults.test.ts', 'packages/core/test/redact.test.ts', 'packages/core/test/options.test.ts'] },
  decisions: { files: ['packages/core/test/decisions.test.ts'] },
  // promises.test.ts in parts, each well under 20 s: its cases per framework, and the request record's.
  'redact-e2e': { files: ['packages/conformance/test/promises.test.ts'], pattern: '^promises \\(' },
  'record-e2e': { files: ['packages/conformance/test/promises.test.ts'], pattern: 'what a request record|default limits|an aborted request|transport levels' },
  time: { files: ['packages/core/test/time-zones.test.ts', 'packages/core/test/ids-clock.test.ts'] },
  verify: { files: ['packages/core/test/verify-kinds.test.ts', 'packages/core/test/chain.test.ts'] },
  auth: { files: ['packages/core/test/auth.test.ts'] },
  jwt: { files: ['packages/conformance/test/promises.test.ts'], pattern: 'JWT|RFC 7519' },
  delivery: { files: ['packages/conformance/test/delivery-faults.test.ts'], pattern: '\\(express\\)|never recovers|auditor\\.record' },
  strict: { files: ['packages/conformance/test/promises.test.ts'], pattern: 'strict mode and a sink' },
  admission: { files: ['packages/conformance/test/promises.test.ts'], pattern: 'strict admission' },
  policy: { files: ['packages/core/test/policy.test.ts'] },
};

/**
 * Each mutant: where (file under packages/core/src), the exact text to find (once) and its
 * replacement, the promise it breaks, and the subsets that should catch it.
 */
const MUTANTS = [
  // Redaction: keywords, headers, the walker.
  { id: 'keys.credential', file: 'redact/names.ts', find: "  'credential',\n", replace: '', why: 'default keyword credential dropped', subsets: ['redact', 'redact-e2e'] },
  { id: 'keys.pin', file: 'redact/names.ts', find: "  'pin',\n", replace: '', why: 'default keyword pin dropped', subsets: ['redact'] },
  { id: 'keys.case', file: 'redact/redact.ts', find: "return key.toLowerCase().replace(/[^a-z0-9]/g, '');", replace: "return key.replace(/[^a-z0-9]/g, '');", why: 'keywords no longer ignore case', subsets: ['redact'] },
  { id: 'keys.short-threshold', file: 'redact/redact.ts', find: '(flat.length <= SHORT_KEYWORD ? shortKeywords : longKeywords)', replace: '(flat.length < SHORT_KEYWORD ? shortKeywords : longKeywords)', why: 'four-letter keywords match inside words (passport, compass)', subsets: ['redact'] },
  { id: 'keys.substring', file: 'redact/redact.ts', find: 'if (flat.includes(rule.flat)) {', replace: 'if (flat === rule.flat) {', why: 'keywords match only whole keys (newPassword in clear)', subsets: ['redact'] },
  { id: 'keys.short-anywhere', file: 'redact/redact.ts', find: 'if (words.includes(rule.flat)) {', replace: 'if (flattenKey(key).startsWith(rule.flat)) {', why: 'short keywords match a prefix instead of a word', subsets: ['redact'] },
  { id: 'walk.depth', file: 'redact/redact.ts', find: 'if (depth >= state.rules.maxDepth) {', replace: 'if (depth > state.rules.maxDepth) {', why: 'one level deeper than limits.depth', subsets: ['redact'] },
  { id: 'walk.cycles', file: 'redact/redact.ts', find: 'if (state.ancestors.includes(obj)) return JSON.stringify(CIRCULAR);', replace: '', why: 'cycles no longer marked [Circular]', subsets: ['redact'] },
  { id: 'walk.budget', file: 'redact/redact.ts', find: '    if (state.budget <= 0) {\n      out = withTruncationMarker', replace: '    if (state.budget <= -4096) {\n      out = withTruncationMarker', why: 'object budget overrun by 4 KiB', subsets: ['redact', 'redact-e2e'] },
  { id: 'walk.remove', file: 'redact/redact.ts', find: "  if (mode === 'remove') return undefined;\n  if (mode === 'mask'", replace: "  if (mode === 'mask'", why: 'remove mode writes the mask instead of dropping the key', subsets: ['redact'] },
  { id: 'walk.proto', file: 'redact/redact.ts', find: 'const out = Object.create(null) as Record<string, unknown>;', replace: 'const out = {} as Record<string, unknown>;', why: 'a Map key __proto__ becomes a prototype', subsets: ['redact'] },
  { id: 'walk.path-first', file: 'redact/redact.ts', find: 'let mode = pathModeOf(childPaths) ?? info.mode;', replace: 'let mode = info.mode ?? pathModeOf(childPaths);', why: "a keyword's mode wins over a path rule's on the same key", subsets: ['redact', 'decisions'] },
  { id: 'headers.x-auth-token', file: 'redact/names.ts', find: "  'x-auth-token',\n", replace: '', why: 'x-auth-token no longer a masked header', subsets: ['redact', 'redact-e2e'] },
  { id: 'headers.ignored', file: 'record/headers.ts', find: 'if (masked.has(name)) {', replace: 'if (false) {', why: 'the masked-header list ignored entirely', subsets: ['redact', 'redact-e2e'] },
  { id: 'headers.defaults', file: 'redact/options.ts', find: '...(defaults ? DEFAULT_MASKED_HEADERS : [])', replace: '...([] as string[])', why: 'default masked headers not applied', subsets: ['redact', 'redact-e2e'] },
  { id: 'options.mask', file: 'redact/options.ts', find: "stringAt(r.mask, 'redact.mask', '******', '******')", replace: "stringAt(r.mask, 'redact.mask', '***', '******')", why: 'default mask changed', subsets: ['redact'] },
  { id: 'options.user-key-mode', file: 'redact/options.ts', find: 'for (const k of keywords) byFlat.set(', replace: 'for (const k of keywords) if (!byFlat.has(k.keyword.toLowerCase().replace(/[^a-z0-9]/g, ""))) byFlat.set(', why: "a user keyword's mode no longer overrides a default keyword's", subsets: ['redact', 'decisions'] },
  { id: 'options.hmac-key-required', file: 'redact/options.ts', find: "if (usesHmac && hmacKey === undefined) fail(", replace: "if (false) fail(", why: 'hmac mode without a key accepted', subsets: ['redact'] },
  // Limits and defaults.
  { id: 'limits.body', file: 'record/options.ts', find: "'limits.bodyBytes', 8192,", replace: "'limits.bodyBytes', 16384,", why: 'default body cap 16 KiB instead of 8 KiB', subsets: ['redact', 'redact-e2e'] },
  { id: 'limits.record', file: 'record/options.ts', find: "'limits.recordBytes', 100 * 1024,", replace: "'limits.recordBytes', 200 * 1024,", why: 'default recordBytes doubled', subsets: ['redact', 'record-e2e'] },
  { id: 'limits.user-agent', file: 'record/record-builder.ts', find: 'return ua.length > cap ? ua.slice(0, cap) + STRING_CUT : ua;', replace: 'return ua.length > cap + 1 ? ua.slice(0, cap) + STRING_CUT : ua;', why: 'user_agent one character over the cap kept', subsets: ['record-e2e'] },
  { id: 'options.success', file: 'delivery/options.ts', find: "const success = value === undefined ? 'all' : value;", replace: "const success = value === undefined ? 'any' : value;", why: 'default success rule any instead of all', subsets: ['redact'] },
  { id: 'options.strict', file: 'delivery/options.ts', find: "booleanAt(value, 'strict', false) ? 'strict' : 'async'", replace: "booleanAt(value, 'strict', false) ? 'async' : 'async'", why: 'strict: true ignored', subsets: ['redact', 'strict'] },
  { id: 'options.level-warn', file: 'delivery/winston-levels.ts', find: "filterProblem(transport, npmLevels, 'info')", replace: "filterProblem(transport, npmLevels, 'warn')", why: 'a transport at level warn accepted (loses every info record)', subsets: ['record-e2e'] },
  { id: 'policy.skip-get', file: 'policy/options.ts', find: "export const DEFAULT_SKIP_METHODS = ['GET', 'HEAD', 'OPTIONS'];", replace: "export const DEFAULT_SKIP_METHODS = ['HEAD', 'OPTIONS'];", why: 'GET audited by default', subsets: ['policy', 'redact'] },
  { id: 'policy.health', file: 'policy/options.ts', find: "['/health', '/healthz',", replace: "['/healthz',", why: '/health no longer skipped as high-frequency', subsets: ['policy', 'redact'] },
  // Time and ids.
  { id: 'clock.sign', file: 'shared/clock.ts', find: "const sign = minutesEast < 0 ? '-' : '+';", replace: "const sign = minutesEast > 0 ? '-' : '+';", why: 'the sign of the offset in ts flipped', subsets: ['time'] },
  { id: 'clock.system-offset', file: 'shared/clock.ts', find: '?? -new Date(ms).getTimezoneOffset();', replace: '?? new Date(ms).getTimezoneOffset();', why: "the machine's offset applied the wrong way", subsets: ['time'] },
  { id: 'clock.cache', file: 'shared/clock.ts', find: 'if (second !== this.#cachedSecond) this.#prime(second);', replace: 'if (Number.isNaN(this.#cachedSecond)) this.#prime(second);', why: 'the date part cached forever (wrong after a DST switch)', subsets: ['time'] },
  { id: 'clock.pad', file: 'shared/clock.ts', find: "'.' + String(fraction).padStart(6, '0')", replace: "'.' + String(fraction)", why: 'fraction not zero-padded to six digits', subsets: ['time'] },
  { id: 'ids.counter', file: 'shared/ids.ts', find: 'if (counter > 0xfff) {', replace: 'if (counter > 0xffff) {', why: 'the 12-bit counter overflows into the variant bits', subsets: ['time'] },
  { id: 'ids.request-id-length', file: 'shared/ids.ts', find: 'const REQUEST_ID = /^[\\x21-\\x7e]{1,128}$/;', replace: 'const REQUEST_ID = /^[\\x21-\\x7e]{1,256}$/;', why: 'incoming request ids up to 256 characters honoured', subsets: ['time'] },
  // The request record.
  { id: 'record.aborted-failure', file: 'record/record-builder.ts', find: "return facts.aborted || status >= 400 ? 'failure' : 'success';", replace: "return status >= 400 ? 'failure' : 'success';", why: 'an aborted request no longer forced to failure', subsets: ['record-e2e'] },
  { id: 'record.failure-400', file: 'record/record-builder.ts', find: "return facts.aborted || status >= 400 ? 'failure' : 'success';", replace: "return facts.aborted || status > 400 ? 'failure' : 'success';", why: 'a 400 counted as success', subsets: ['record-e2e'] },
  { id: 'record.499', file: 'record/record-builder.ts', find: 'return facts.aborted && !facts.headersSent ? CLIENT_CLOSED_STATUS : facts.statusCode;', replace: 'return facts.aborted ? CLIENT_CLOSED_STATUS : facts.statusCode;', why: '499 recorded even when the status had been sent', subsets: ['record-e2e'] },
  { id: 'auditor.echo-id', file: 'auditor.ts', find: 'binding.setHeader(carrier, this.requestIdHeader, ctx.requestId);', replace: 'binding.setHeader(carrier, this.requestIdHeader, this.newRequestId());', why: 'a different generated id echoed than recorded', subsets: ['redact-e2e'] },
  { id: 'auditor.accept-any-id', file: 'auditor.ts', find: 'isAcceptableRequestId(incoming) ? incoming : undefined', replace: '(incoming as string | undefined)', why: 'any incoming request id honoured', subsets: ['time', 'record-e2e'] },
  { id: 'body.empty-none', file: 'record/body.ts', find: '&& isEmptyObject(body)) {', replace: '&& false) {', why: "an empty parser object recorded as a body instead of 'none'", subsets: ['decisions'] },
  // Auth.
  { id: 'jwt.exp-cache', file: 'auth/jwt.ts', find: "if (typeof payload.exp === 'number') until = Math.min(until, payload.exp * 1000);", replace: '', why: 'a verified JWT stays verified in the cache after its exp', subsets: ['jwt'] },
  { id: 'jwt.classify-expired', file: 'auth/jwt.ts', find: "if (err instanceof joseErrors.JWTExpired) return 'expired';", replace: '', why: "an expired token reported as 'claim_invalid'", subsets: ['jwt'] },
  { id: 'jwt.key-unavailable-cached', file: 'auth/jwt.ts', find: "cacheable = error !== 'key_unavailable';", replace: 'cacheable = true;', why: 'an unreachable JWKS result cached', subsets: ['auth'] },
  { id: 'auth.basic-colon', file: 'auth/auth.ts', find: 'if (colon <= 0) return', replace: 'if (colon < 0) return', why: 'Basic credentials with an empty user name accepted', subsets: ['auth', 'decisions'] },
  { id: 'auth.fingerprint', file: 'auth/auth.ts', find: ".digest('hex').slice(0, 16);", replace: ".digest('hex').slice(0, 12);", why: 'API-key fingerprint shortened', subsets: ['auth'] },
  { id: 'auth.scheme-case', file: 'auth/auth.ts', find: ': authorization.slice(0, space)).toLowerCase();', replace: ': authorization.slice(0, space));', why: "the scheme matched case-sensitively ('Bearer' no longer read)", subsets: ['auth'] },
  // Delivery.
  { id: 'channel.known-down', file: 'delivery/channel.ts', find: '    if (!this.#stats.healthy && (!this.#spool || this.#spoolFailures > 0)) return false;\n', replace: '', why: 'strict ignores a sink known to be down', subsets: ['strict'] },
  { id: 'channel.room', file: 'delivery/channel.ts', find: 'return this.#queue.length + this.#reserved < this.#queue.capacity;', replace: 'return this.#queue.length < this.#queue.capacity;', why: 'strict admission ignores reserved places', subsets: ['delivery', 'admission'] },
  { id: 'channel.queue-full', file: 'delivery/channel.ts', find: "if (this.#queue.length >= limit) return this.#refuse('queue_full', waiter);", replace: "if (this.#queue.length > limit) return this.#refuse('queue_full', waiter);", why: 'the queue holds one more than queue.max', subsets: ['delivery'] },
  { id: 'auditor.strict-all', file: 'auditor.ts', find: "const ok = this.options.success === 'all' ? strict.every(([, r]) => r) : strict.some(([, r]) => r);", replace: 'const ok = strict.some(([, r]) => r);', why: "success: 'all' behaves as 'any'", subsets: ['delivery'] },
  { id: 'auditor.strict-admission', file: 'auditor.ts', find: "if (!(this.options.success === 'all' ? room.every(Boolean) : room.some(Boolean))) {", replace: 'if (!room.some(Boolean)) {', why: 'strict admission with success all lets a request in when one sink has no room', subsets: ['delivery', 'admission'] },
  // Tamper evidence.
  { id: 'chain.prefix', file: 'integrity/chain.ts', find: "export const HASH_PREFIX = 'auditkit-chain-v1\\n';", replace: "export const HASH_PREFIX = 'auditkit-chain-v2\\n';", why: 'the hash formula is not the documented one', subsets: ['verify'] },
  { id: 'verify.missing-file', file: 'integrity/verify.ts', find: "kind: atFileBoundary ? 'missing_file' : 'deleted_records',", replace: "kind: 'deleted_records',", why: 'a deleted file reported as deleted records', subsets: ['verify'] },
  { id: 'verify.no-key-warning', file: 'integrity/verify.ts', find: "new Set(['unsigned_tail', 'chain_start_missing', 'no_key'])", replace: "new Set(['unsigned_tail', 'chain_start_missing'])", why: 'no_key becomes damage', subsets: ['verify'] },
  { id: 'verify.require-signed', file: 'integrity/verify.ts', find: "!(p.kind === 'unsigned_tail' && options.requireSigned)", replace: 'true', why: 'requireSigned ignored', subsets: ['verify'] },
  { id: 'verify.after-final', file: 'integrity/verify.ts', find: 'if (e.seq > finalSeq) add(', replace: 'if (e.seq > finalSeq + 1) add(', why: 'one record appended after the final checkpoint passes', subsets: ['verify'] },
  { id: 'verify.missing-checkpoint', file: 'integrity/verify.ts', find: "add({ kind: 'missing_checkpoint', ...where, message:", replace: "void ({ kind: 'missing_checkpoint', ...where, message:", why: 'a removed checkpoint not reported', subsets: ['verify'] },
  { id: 'verify.no-chain', file: 'integrity/verify.ts', find: "if (chains.size === 0 && files.length > 0 && !problems.some((p) => p.kind === 'no_chain')) {", replace: 'if (false) {', why: 'files without a chain pass silently (an empty log verifies)', subsets: ['verify'] },
  { id: 'verify.no-chain-file', file: 'integrity/verify.ts', find: "      add({ kind: 'no_chain', file, message:", replace: "      void ({ kind: 'no_chain', file, message:", why: 'a plain file beside a chained log passes silently', subsets: ['verify'] },
];

function runSubset(name) {
  const subset = SUBSETS[name];
  const args = ['--import', 'tsx', '--import', './scripts/core-from-src.mjs', '--test', '--test-concurrency=1', '--test-reporter=dot'];
  if (subset.pattern) args.push(`--test-name-pattern=${subset.pattern}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [...args, ...subset.files], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  return { ok: r.status === 0, timedOut: r.error?.code === 'ETIMEDOUT', ms: Date.now() - started };
}

const argv = process.argv.slice(2);
const jsonAt = argv.indexOf('--json');
const jsonFile = jsonAt === -1 ? undefined : argv.splice(jsonAt, 2)[1];
const checkAt = argv.indexOf('--check');
const check = checkAt !== -1;
if (check) argv.splice(checkAt, 1);
if (argv.includes('--list')) {
  for (const m of MUTANTS) console.log(`${m.id.padEnd(28)} ${m.subsets.join(',').padEnd(18)} ${m.why}`);
  process.exit(0);
}
const chosen = argv.length > 0 ? MUTANTS.filter((m) => argv.includes(m.id)) : MUTANTS;
if (argv.length > 0 && chosen.length !== argv.length) throw new Error(`unknown mutant in ${argv.join(' ')}`);

// Every mutant must apply to today's source; a stale one is a bug in this list, not a survivor. All
// stale ones are named at once, so whoever moved the code can fix them in one go.
const stale = [];
for (const m of chosen) {
  if (!existsSync(src(m.file))) {
    stale.push(`mutant ${m.id}: ${m.file} does not exist`);
    continue;
  }
  const count = readFileSync(src(m.file), 'utf8').split(m.find).length - 1;
  if (count !== 1) stale.push(`mutant ${m.id}: its text occurs ${count} times in ${m.file}`);
}
for (const name of new Set(chosen.flatMap((m) => m.subsets))) {
  for (const file of SUBSETS[name].files) if (!existsSync(join(root, file))) stale.push(`subset ${name}: ${file} does not exist`);
}
if (stale.length > 0) {
  for (const line of stale) console.error(line);
  console.error(`${stale.length} stale: fix the entries in scripts/mutants.mjs to mutate the same decision where it is now`);
  process.exit(1);
}
if (check) {
  console.log(`${chosen.length} mutants apply to today's source, each exactly once; their subsets' test files exist`);
  process.exit(0);
}

// The subsets must pass on the unchanged source first.
for (const name of new Set(chosen.flatMap((m) => m.subsets))) {
  const base = runSubset(name);
  if (!base.ok) throw new Error(`subset ${name} fails without any mutant${SUBSETS[name].files.some((f) => f.startsWith('packages/conformance/')) ? ' (the conformance tests load the built adapters: run npx pnpm@10 build first)' : ''}`);
  console.log(`baseline ${name}: pass in ${(base.ms / 1000).toFixed(1)} s`);
}

let restore;
const putBack = () => restore?.();
process.on('SIGINT', () => {
  putBack();
  process.exit(130);
});

const results = [];
for (const m of chosen) {
  const path = src(m.file);
  const original = readFileSync(path, 'utf8');
  restore = () => writeFileSync(path, original);
  writeFileSync(path, original.replace(m.find, m.replace));
  let killedBy;
  let ms = 0;
  try {
    for (const name of m.subsets) {
      const r = runSubset(name);
      ms += r.ms;
      if (!r.ok) {
        killedBy = r.timedOut ? `${name} (timeout)` : name;
        break;
      }
    }
  } finally {
    putBack();
    restore = undefined;
  }
  results.push({ id: m.id, file: m.file, why: m.why, killed: killedBy !== undefined, by: killedBy ?? null, ms });
  console.log(`${killedBy ? 'killed  ' : 'SURVIVED'} ${m.id.padEnd(28)} ${(ms / 1000).toFixed(1).padStart(5)} s  ${killedBy ?? ''}  ${m.why}`);
}

const killed = results.filter((r) => r.killed).length;
console.log(`\n${killed} of ${results.length} mutants killed (${((100 * killed) / results.length).toFixed(1)} %)`);
for (const r of results.filter((x) => !x.killed)) console.log(`survivor: ${r.id} (${r.file}): ${r.why}`);
if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ killed, total: results.length, results }, null, 2) + '\n');
