import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AuditConfigError, createAuditor, type AuditOptions } from '../src/index.js';
import { resolveOptions, type ResolvedOptions } from '../src/options.js';
import { Fingerprinter } from '../src/redact/fingerprint.js';
import { redactJson, type RedactRoot } from '../src/redact/redact.js';
import { DEFAULT_HEADER_WORDS, DEFAULT_MASKED_HEADERS, DEFAULT_QUERY_KEYS, DEFAULT_REDACT_KEYS } from '../src/redact/names.js';
import { maskSecrets } from '../src/redact/secrets/detectors.js';

/**
 * Issue 17, piece by piece: each value detector on written-out inputs and outputs, the values they
 * must leave alone, the name lists' whole-word and query rules, name/value pairs, the keyed
 * fingerprints and their per-install key, and the options. The corpus test (conformance) sends the
 * same kinds of secret through real apps into real sinks.
 */

const dir = mkdtempSync(join(tmpdir(), 'auditkit-secrets-'));
const noHook = (): void => {};

function resolved(options: AuditOptions = {}): ResolvedOptions {
  return resolveOptions({ file: join(dir, 'audit.log'), ...options }, noHook);
}

const opts = resolved();
const ctx = opts.redaction.secrets!;

function recorded(root: RedactRoot, value: unknown, o: ResolvedOptions = opts): unknown {
  return JSON.parse(redactJson(o.redaction, root, value, 8192).json!);
}

describe('value detectors mask only the secret part', () => {
  const cases: Array<[string, string, string]> = [
    ['a JWT in free text', 'bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl was rejected', 'bearer ****** was rejected'],
    ['an unsigned JWT', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZGEifQ.', '******'],
    ['a GitHub token', 'use ghp_T2VyMWYZZrwOUSGDvUc9XZ0Kl6TVzyjYHAPB now', 'use ****** now'],
    ['a Stripe key after =', 'STRIPE=sk_live_CEN0kKtY2aFoVAIRXukXGYC3', 'STRIPE=******'],
    ['an OpenAI project key', 'k sk-proj-AGOJWWM3s_y1N6UXKNEc3qOKeIgL8xqo', 'k ******'],
    ['an AWS key id', 'my key is AKIAWTCDH7TO5RCEA7VV, thanks', 'my key is ******, thanks'],
    ['an AWS secret key after its name', 'aws_secret_access_key = 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', 'aws_secret_access_key = ******'],
    ['a Google API key', 'AIzaiv95B-DJXK4tI9BQqmLIBop_EHQ0IVvl0-O', '******'],
    ['an npm token', '//registry.npmjs.org/:_authToken=npm_F8Zj5OjrGwluR42tNogaddrmg5OpnAkVaVXj', '//registry.npmjs.org/:_authToken=******'],
    ['a Slack webhook URL', 'https://hooks.slack.com/services/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', 'https://hooks.slack.com/services/******'],
    ['a private key, armour kept', '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBibGITQC1BFAa4N7EPjbm\n-----END EC PRIVATE KEY-----\n', '-----BEGIN EC PRIVATE KEY-----\n******\n-----END EC PRIVATE KEY-----\n'],
    ['a cut private key', 'key: -----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEICYvmk', 'key: -----BEGIN PRIVATE KEY-----\n******\n-----END PRIVATE KEY-----'],
    ['a database URL', 'postgres://app:Sup3rS3cretDbPw@db.internal:5432/prod', 'postgres://app:******@db.internal:5432/prod'],
    ['a password with an unencoded @', 'postgres://app:S3cret@pw@db.internal/prod', 'postgres://app:******@db.internal/prod'],
    ['a password-only Redis URL', 'redis://:r3dis-only-pw@cache:6379/0', 'redis://:******@cache:6379/0'],
    ['a token as the URL user', 'https://ghp_T2VyMWYZZrwOUSGDvUc9XZ0Kl6TVzyjYHAPB:x-oauth-basic@github.com/a/b', 'https://******:******@github.com/a/b'],
    ['a reset token in a relative URL', '/reset?token=o24resetWq3nB8xLp5Rz&lang=en', '/reset?token=******&lang=en'],
    ['an OAuth code in a callback URL', 'https://client.example.com/cb?code=cbCodeQ7Zk2mP9xW&state=xyz', 'https://client.example.com/cb?code=******&state=xyz'],
    ['a token in an innocent parameter', 'https://x.test/?state=ghu_mXvvhAGiO0408ORZNmimmRW2IvYfAaHHJLHd', 'https://x.test/?state=******'],
    ['a card number (Luhn)', 'charge 4242424242424242 again', 'charge ****** again'],
    ['a spaced card number', 'card 6011 1111 1111 1117 exp 12/29', 'card ****** exp 12/29'],
    ['an IBAN (mod-97)', 'refund to GB82WEST12345698765432 please', 'refund to ****** please'],
    ['a spaced IBAN', 'IBAN: FR14 2004 1010 0505 0001 3M02 606', 'IBAN: ******'],
    ['an SSN', 'applicant ssn 078-05-1120 verified', 'applicant ssn ****** verified'],
  ];
  for (const [what, input, output] of cases) {
    it(what, () => assert.equal(maskSecrets(input, ctx), output));
  }
});

describe('value detectors leave these alone (the very same string comes back)', () => {
  const innocent = [
    'Ada Lovelace',
    '3f2b9c1e-8d4a-4e6b-9f0c-2a7d5e1b8c34',
    '9fceb02d0ae598e95dc970b74767f19372d61af8',
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    '2026-12-02T06:47:33.120Z',
    'order 4111111111111112', // fails Luhn
    '1234567812345678', // not a card prefix, fails Luhn
    '1796000000000000', // a time in microseconds
    'DE89370400440532013001', // fails mod-97
    '555-010-4477',
    '000-12-3456', // no SSN starts with 000
    'https://example.com/search?q=audit&page=2',
    'postgres://db.internal:5432/prod',
    'https://ada@git.example.com/acme/app.git',
    '/authorize?code_challenge_method=S256&response_type=code',
    'pk_live_51Hc8xQ2eZvKYlo2C0example',
    'task-manager-and-disk-usage-report-2026',
    'AKIA is how AWS key ids begin',
    'x'.repeat(600),
  ];
  for (const s of innocent) it(JSON.stringify(s.slice(0, 40)), () => assert.equal(maskSecrets(s, ctx), s));
});

describe('name lists', () => {
  it('short names match only a whole word: pass, pin, iban and pan, but not passport, pinned, ibanez, pandas', () => {
    assert.deepEqual(recorded('body', { pass: 'a', passport: 'b', pin: 'c', pinned: 'd', iban: 'e', ibanez: 'f', pan: 'g', pandas: 'h', payee_iban: 'i' }), {
      ibanez: 'f',
      iban: '******',
      pan: '******',
      pandas: 'h',
      pass: '******',
      passport: 'b',
      payee_iban: '******',
      pin: '******',
      pinned: 'd',
    });
  });

  it('keys named for what they do are secrets; keys named for what they sort by are not', () => {
    assert.deepEqual(recorded('meta', { newKey: 'a', oldKey: 'b', signingKey: 'c', sortKey: 'd', primaryKey: 'e', partitionKey: 'f', inviteCode: 'g', zipCode: 'h', country_code: 'i' }), {
      country_code: 'i',
      inviteCode: '******',
      newKey: '******',
      oldKey: '******',
      partitionKey: 'f',
      primaryKey: 'e',
      signingKey: '******',
      sortKey: 'd',
      zipCode: 'h',
    });
  });

  it('code, key and sig are secrets in a query string, ordinary words in a body', () => {
    const value = { code: 'a', key: 'b', sig: 'c', code_challenge_method: 'S256', page: '2' };
    assert.deepEqual(recorded('query', value), { code: '******', code_challenge_method: 'S256', key: '******', page: '2', sig: '******' });
    assert.deepEqual(recorded('body', value), value);
  });

  it('a name/value pair masks its value when the name is a secret one', () => {
    assert.deepEqual(
      recorded('body', {
        env: [
          { name: 'LOG_LEVEL', value: 'info' },
          { name: 'DATABASE_PASSWORD', value: 'pw-1' },
        ],
        settings: [{ key: 'api_token', val: 'tok-2' }, { key: 'dark_mode', val: 'on' }],
        answers: [{ field: 'ssn', value: '123' }],
      }),
      {
        answers: [{ field: 'ssn', value: '******' }],
        env: [
          { name: 'LOG_LEVEL', value: 'info' },
          { name: 'DATABASE_PASSWORD', value: '******' },
        ],
        settings: [{ key: 'api_token', val: '******' }, { key: 'dark_mode', val: 'on' }],
      },
    );
  });
});

describe('fingerprints are keyed, per install, and stable', () => {
  it('is HMAC-SHA256 under the given key, first 16 hex digits (openssl dgst -sha256 -hmac)', () => {
    assert.equal(new Fingerprinter('a-fingerprint-key-of-32-bytes!!!', undefined).of('sk_live_abc'), 'key-hmac:5da4b74fe2df5ef1');
  });

  it('generates the key once, keeps it 0600 beside the trail, and gives the same fingerprint after a restart', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'auditkit-fp-')), 'log', 'fingerprint.key');
    const first = new Fingerprinter(undefined, file).of('sk_live_abc');
    const again = new Fingerprinter(undefined, file).of('sk_live_abc');
    assert.equal(again, first);
    assert.match(first, /^key-hmac:[0-9a-f]{16}$/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /^[0-9a-f]{64}\n$/);
    // Another install (another key) names the same key differently: the trail alone proves nothing about a guess.
    const other = join(mkdtempSync(join(tmpdir(), 'auditkit-fp-')), 'fingerprint.key');
    assert.notEqual(new Fingerprinter(undefined, other).of('sk_live_abc'), first);
  });

  it('the key file sits beside the file sink', async () => {
    const trail = mkdtempSync(join(tmpdir(), 'auditkit-fp-trail-'));
    const o = resolveOptions({ file: join(trail, 'audit.log') }, noHook);
    o.redaction.fingerprint!.of('x');
    assert.equal(statSync(join(trail, 'fingerprint.key')).mode & 0o777, 0o600);
  });
});

describe('options', () => {
  function rejects(options: AuditOptions, option: string, pattern: RegExp): void {
    assert.throws(
      () => createAuditor({ file: join(dir, 'audit.log'), ...options }),
      (err: unknown) => err instanceof AuditConfigError && err.option === option && pattern.test(err.message) && / Fix: /.test(err.message),
    );
  }

  it('a bad redact.routes or fingerprintKey throws at construction, naming the option and the fix', () => {
    rejects({ redact: { routes: 'x' as never } }, 'redact.routes', /must be an array/);
    rejects({ redact: { routes: [{ route: 'graphql', body: ['query'] }] } }, 'redact.routes[0].route', /must start with "\/"/);
    rejects({ redact: { routes: [{ route: '/graphql' }] } }, 'redact.routes[0]', /neither body nor paths/);
    rejects({ redact: { routes: [{ route: '/rpc', paths: ['params.0'] }] } }, 'redact.routes[0].paths[0]', /not a path into the record/);
    rejects({ redact: { routes: [{ route: '/rpc', body: 'params' as never }] } }, 'redact.routes[0].body', /array/);
    rejects({ redact: { fingerprintKey: 'short' } }, 'redact.fingerprintKey', /at least 16 bytes/);
    rejects({ redact: { detectors: 'yes' as never } }, 'redact.detectors', /true or false/);
  });

  it('detectors: false turns the value detectors off, and defaults: false does too unless asked for', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl';
    assert.deepEqual(recorded('body', { note: jwt }, resolved({ redact: { detectors: false } })), { note: jwt });
    assert.deepEqual(recorded('body', { note: jwt }, resolved({ redact: { defaults: false } })), { note: jwt });
    assert.deepEqual(recorded('body', { note: jwt }, resolved({ redact: { defaults: false, detectors: true } })), { note: '******' });
  });

  it('recipe: a GraphQL query with literals is masked by redact.paths, its variables still redacted by name', () => {
    const o = resolved({ redact: { paths: ['body.query'] } });
    assert.deepEqual(recorded('body', { operationName: 'Login', query: 'mutation { login(password: "x") }', variables: { email: 'a@b', password: 'y' } }, o), {
      operationName: 'Login',
      query: '******',
      variables: { email: 'a@b', password: '******' },
    });
  });

  it('recipe: a per-route body allow-list keeps the listed keys and masks the rest, on that route only', () => {
    const o = resolved({ redact: { routes: [{ route: '/rpc', methods: ['POST'], body: ['jsonrpc', 'id', 'method'] }] } });
    const route = o.routeRedaction[0]!;
    assert.equal(route.matches('/rpc', 'post'), true);
    assert.equal(route.matches('/rpc', 'PUT'), false);
    assert.equal(route.matches('/other', 'POST'), false);
    assert.deepEqual(JSON.parse(redactJson(route.rules, 'body', { jsonrpc: '2.0', id: 7, method: 'auth.login', params: ['ada', 'pw'] }, 8192).json!), {
      id: 7,
      jsonrpc: '2.0',
      method: 'auth.login',
      params: '******',
    });
    // The rules for every other route are unchanged.
    assert.deepEqual(recorded('body', { params: ['ada'] }, o), { params: ['ada'] });
  });
});

describe('docs/options.md', () => {
  const text = readFileSync(fileURLToPath(new URL('../../../docs/options.md', import.meta.url)), 'utf8');
  it('lists every default name: keywords, query names, masked headers, header words', () => {
    const missing = [...DEFAULT_REDACT_KEYS, ...DEFAULT_QUERY_KEYS, ...DEFAULT_MASKED_HEADERS, ...DEFAULT_HEADER_WORDS].filter((name) => !text.includes('`' + name + '`'));
    assert.deepEqual(missing, []);
  });
  it('lists every detector and says what redaction cannot catch', () => {
    for (const heading of ['### Value detectors', '### What no rule can know: recipes', '### What redaction cannot catch']) assert.ok(text.includes(heading), heading);
    for (const detector of ['JWT', 'GitHub', 'GitLab', 'Stripe', 'OpenAI', 'Slack', 'npm', 'AWS', 'Google', 'SendGrid', 'PEM private keys', 'URL credentials', 'URL queries', 'Cards', 'IBANs', 'US SSNs']) {
      assert.ok(text.includes(`| ${detector} |`), detector);
    }
  });
});
