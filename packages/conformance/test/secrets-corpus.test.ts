import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuditOptions } from '@auditkit/core';
import { startCorpusApp, type Framework } from './fixtures/secrets/apps.js';
import { DEFAULT_LEAKS, SECRETS, type SecretCase, type SecretKind } from './fixtures/secrets/corpus.js';
import { INNOCENT } from './fixtures/secrets/innocent.js';
import { send } from './fixtures/secrets/send.js';
import { openSinks } from './fixtures/secrets/sinks.js';
import { tempDir } from '../src/records.js';

/**
 * Issue 17: every secret of the corpus, sent through real Express, Fastify and Koa apps audited with
 * no redaction options, is searched for in what every sink wrote: raw, JSON-escaped, base64,
 * base64url and URL-encoded. Only the cases that no rule can know may be found, and with the
 * recipes of docs/options.md none. The precision corpus must come out readable.
 */

const FRAMEWORKS: readonly Framework[] = ['express', 'fastify', 'koa'];

/** The recipes of docs/options.md ("What no rule can know"), exactly as documented there. */
const RECIPES: NonNullable<AuditOptions['redact']> = {
  routes: [
    { route: '/graphql', body: ['operationName', 'variables'] },
    { route: '/rpc', body: ['jsonrpc', 'id', 'method'] },
    { route: '/webhooks/:id', paths: ['bindings.id'] },
  ],
};

interface Run {
  outputs: Record<string, string>;
}

async function runCorpus(framework: Framework, redact: AuditOptions['redact'] | undefined): Promise<Run> {
  const sinks = await openSinks(tempDir('auditkit-secrets-'));
  const app = await startCorpusApp(framework, redact === undefined ? sinks.options : { ...sinks.options, redact });
  try {
    // One request at a time, each with its own request id, so every record can be told apart.
    for (const [i, c] of SECRETS.entries()) assert.equal(await send(app.url, c.send, `corpus-s${i}`), 200, c.id);
    for (const [i, c] of INNOCENT.entries()) assert.equal(await send(app.url, c.send, `corpus-i${i}`), 200, c.id);
  } finally {
    await app.close();
  }
  return { outputs: await sinks.collect() };
}

/** The forms a value takes on its way into a sink. */
function encodings(needle: string): string[] {
  const b64 = Buffer.from(needle).toString('base64').replace(/=+$/, '');
  const forms = [
    needle,
    JSON.stringify(needle).slice(1, -1),
    b64,
    Buffer.from(needle).toString('base64url'),
    encodeURIComponent(needle),
    new URLSearchParams({ x: needle }).toString().slice(2),
  ];
  return [...new Set(forms)];
}

/** Removes what differs per run and could hold any digits: clocks, ids, ports, the pid. */
function scrub(text: string): string {
  return text
    .replace(/"(time|duration_ms|body_bytes|http_status_code)":[0-9.e+-]+/g, '')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g, '')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '')
    .replace(/127\.0\.0\.1:\d+/g, '')
    .replaceAll(` ${process.pid} `, ' ');
}

/**
 * Whether `text` holds `form`. A short form (a PIN, a CVV) must stand alone, between characters that
 * are not letters or digits, as a recorded value does (`"7391"`): inside a longer number it is a
 * coincidence, not a leak.
 */
function holds(text: string, form: string): boolean {
  if (form.length >= 8) return text.includes(form);
  const escaped = form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`).test(text);
}

/** Case id -> the sinks where one of its needles was found. */
function leaks(run: Run): Record<string, string[]> {
  const scrubbed = Object.entries(run.outputs).map(([sink, text]) => [sink, scrub(text)] as const);
  const found: Record<string, string[]> = {};
  for (const c of SECRETS) {
    const forms = [c.secret, ...(c.also ?? [])].flatMap(encodings);
    const where = scrubbed.filter(([, text]) => forms.some((f) => holds(text, f))).map(([sink]) => sink);
    if (where.length > 0) found[c.id] = where;
  }
  return found;
}

function assertEverySinkSawEveryRequest(run: Run): void {
  for (const [sink, text] of Object.entries(run.outputs)) {
    if (sink.endsWith('spool')) continue;
    const missing = [...SECRETS.map((_, i) => `corpus-s${i}`), ...INNOCENT.map((_, i) => `corpus-i${i}`)].filter((id) => !text.includes(`"${id}"`));
    assert.deepEqual(missing, [], `${sink} has no record of these requests`);
  }
}

test('the corpus: at least 100 secrets across every category, at least 50 innocent values, ids unique', () => {
  assert.ok(SECRETS.length >= 100, `${SECRETS.length} secrets`);
  assert.ok(INNOCENT.length >= 50, `${INNOCENT.length} innocent values`);
  const kinds = new Set<SecretKind>(SECRETS.map((c) => c.kind));
  assert.deepEqual([...kinds].sort(), ['covered', 'name', 'recipe', 'structure', 'value']);
  assert.equal(new Set(SECRETS.map((c) => c.id)).size, SECRETS.length);
  assert.equal(new Set(INNOCENT.map((c) => c.id)).size, INNOCENT.length);
  // Where the categories sit: headers, query, body, route params, meta, events, source.
  const prefixes = new Set(SECRETS.map((c: SecretCase) => c.id.split('.').slice(0, 2).join('.')));
  for (const p of ['name.header', 'name.query', 'name.body', 'name.route', 'name.event', 'name.app-event', 'value.jwt', 'value.github', 'value.stripe', 'value.slack', 'value.aws', 'value.openai', 'value.npm', 'value.google', 'value.pem', 'value.url', 'value.card', 'value.iban', 'value.ssn', 'value.basic', 'value.operator']) {
    assert.ok(prefixes.has(p), `no case for ${p}`);
  }
  // A needle found in another case's request would be a false alarm (or hide a real leak).
  const sent = [...SECRETS, ...INNOCENT].map((c) => ({ id: c.id, text: JSON.stringify(c.send) }));
  const shared = SECRETS.flatMap((c) =>
    [c.secret, ...(c.also ?? [])].flatMap((n) => sent.filter((o) => o.id !== c.id && o.text.includes(JSON.stringify(n).slice(1, -1))).map((o) => `${c.id} in ${o.id}`)),
  );
  assert.deepEqual(shared, []);
});

/** Until the value detectors land (issue 17, after the core's move into folders), these are known to fail. */
const PENDING = {};

for (const framework of FRAMEWORKS) {
  describe(framework, () => {
    let defaults: Promise<Run> | undefined;
    const byDefault = (): Promise<Run> => (defaults ??= runCorpus(framework, undefined));

    test('with no redaction options, only what needs configuration reaches a sink', PENDING, async () => {
      const run = await byDefault();
      assertEverySinkSawEveryRequest(run);
      assert.deepEqual(Object.keys(leaks(run)).sort(), [...DEFAULT_LEAKS]);
    });

    test('what stays around a masked secret is readable: the database a URL names, the certificate beside a key', PENDING, async () => {
      const { file } = (await byDefault()).outputs;
      const unreadable = SECRETS.flatMap((c) => (c.keeps ?? []).filter((k) => !file!.includes(k)).map((k) => `${c.id}: ${k}`));
      assert.deepEqual(unreadable, []);
    });

    test('the innocent values stay readable, under their own names', async () => {
      const { file } = (await byDefault()).outputs;
      const masked = INNOCENT.filter((c) => !file!.includes(`${JSON.stringify(c.key)}:${JSON.stringify(c.value)}`)).map((c) => c.id);
      assert.deepEqual(masked, []);
    });

    test('with the documented recipes, no secret of the corpus reaches any sink', PENDING, async () => {
      const run = await runCorpus(framework, RECIPES);
      assertEverySinkSawEveryRequest(run);
      assert.deepEqual(leaks(run), {});
    });
  });
}
