import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileKeywords, compilePaths, keyWords, redactJson, type RedactionRules, type RedactRoot } from '../src/redact/redact.js';

/** The keywords these cases rely on, written out: built from the real default list, a keyword dropped from it would drop from the test too. */
const KEYWORDS = ['password', 'secret', 'token', 'api_key', 'private_key', 'ssn', 'cvv', 'cvc', 'pin'];

function rules(overrides: Partial<RedactionRules> = {}, paths: Array<{ path: string; mode: 'mask' | 'remove' | 'hmac' }> = []): RedactionRules {
  return {
    mask: '******',
    maskJson: '"******"',
    hmacKey: 'foo',
    maxDepth: 32,
    ...compileKeywords(KEYWORDS.map((keyword) => ({ keyword, mode: 'mask' as const }))),
    paths: compilePaths(paths),
    keyCache: new Map(),
    shapeCache: new Map(),
    ...overrides,
  };
}

/** The walker writes JSON text; the assertions read it back. */
function redactValue(r: RedactionRules, root: RedactRoot, value: unknown, budget: number): { json: string | undefined; value: unknown; truncated: boolean } {
  const { json, truncated } = redactJson(r, root, value, budget);
  return { json, value: json === undefined ? undefined : JSON.parse(json), truncated };
}

describe('redaction', () => {
  it('matches keywords ignoring case and separators, anywhere in the key', () => {
    const { value } = redactValue(rules(), 'body', { userPassword: 'a', NEW_PASSWORD: 'b', 'x-api-key': 'c', accessToken: 'd', PrivateKey: 'e', plain: 'f' }, 10_000);
    assert.deepEqual(value, { userPassword: '******', NEW_PASSWORD: '******', 'x-api-key': '******', accessToken: '******', PrivateKey: '******', plain: 'f' });
  });

  it('matches short keywords only as whole words, so className keeps its value', () => {
    assert.deepEqual(keyWords('userSSN'), ['user', 'ssn']);
    assert.deepEqual(keyWords('cardCVV2'), ['card', 'cvv', '2']);
    const { value } = redactValue(rules(), 'body', { className: 'x', shipping: 'y', ssn: '1', userSSN: '2', cvv2: '3', card_pin: '4', pinned: true }, 10_000);
    assert.deepEqual(value, { className: 'x', shipping: 'y', ssn: '******', userSSN: '******', cvv2: '******', card_pin: '******', pinned: true });
  });

  it('counts a keyword of four characters as short and one of five as long: pass and iban match a whole word, token anywhere', () => {
    const r = rules(compileKeywords(['pass', 'iban', 'token'].map((keyword) => ({ keyword, mode: 'mask' as const }))));
    const { value } = redactValue(r, 'body', { pass: '1', user_pass: '2', passport: 'x', compass: 'y', iban: '3', payeeIban: '4', ibanez: 'z', authtoken: '5' }, 10_000);
    assert.deepEqual(value, { pass: '******', user_pass: '******', passport: 'x', compass: 'y', iban: '******', payeeIban: '******', ibanez: 'z', authtoken: '******' });
  });

  it('applies path rules with wildcards and array indexes', () => {
    const r = rules({}, [
      { path: 'body.card.number', mode: 'mask' },
      { path: 'body.items.*.sku', mode: 'remove' },
      { path: 'body.list[1]', mode: 'hmac' },
    ]);
    const { value } = redactValue(r, 'body', { card: { number: 4111, cvc: 1 }, items: [{ sku: 1, n: 1 }], list: ['a', 'foo'] }, 10_000);
    assert.deepEqual(value, {
      card: { number: '******', cvc: '******' },
      items: [{ n: 1 }],
      list: ['a', 'hmac-sha256:08ba357e274f528065766c770a639abf6809b39ccfd37c2a3157c7f51954da0a'],
    });
  });

  it('a path rule on a subtree replaces the whole subtree', () => {
    const { value } = redactValue(rules({}, [{ path: 'meta.profile', mode: 'mask' }]), 'meta', { profile: { a: 1, b: [2] } }, 10_000);
    assert.deepEqual(value, { profile: '******' });
  });

  it('survives 10,000-deep nesting and marks the cut', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    const { value, truncated } = redactValue(rules(), 'body', deep, 1_000_000);
    assert.equal(truncated, true);
    assert.ok(JSON.stringify(value).includes('[Truncated: depth]'));
  });

  it('keeps __proto__ as data, on an ordinary object, without touching prototypes', () => {
    const input = JSON.parse('{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}');
    const { json } = redactValue(rules(), 'body', input, 10_000);
    assert.equal(json, '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}');
    assert.equal(({} as { isAdmin?: unknown }).isAdmin, undefined);
    const map = redactValue(rules(), 'meta', { m: new Map([['__proto__', { isAdmin: true }]]) }, 10_000);
    assert.equal(map.json, '{"m":{"__proto__":{"isAdmin":true}}}');
  });

  it('breaks cycles and turns non-JSON values into JSON', () => {
    const a: Record<string, unknown> = { n: 1 };
    a.self = a;
    const err = new TypeError('bad');
    const { value } = redactValue(rules(), 'meta', { a, list: [a], big: 2n, nan: NaN, inf: Infinity, f: () => 1, u: undefined, sym: Symbol('s'), d: new Date(0), bad: new Date(NaN), m: new Map([['k', 1]]), s: new Set([1, 2]), err, buf: Buffer.from('abc'), url: new URL('https://x.test/p') }, 10_000);
    assert.deepEqual(value, {
      a: { n: 1, self: '[Circular]' },
      list: [{ n: 1, self: '[Circular]' }],
      big: '2',
      nan: null,
      inf: null,
      d: '1970-01-01T00:00:00.000Z',
      bad: null,
      m: { k: 1 },
      s: [1, 2],
      err: { name: 'TypeError', message: 'bad' },
      buf: '[Binary 3 bytes]',
      url: 'https://x.test/p',
    });
  });

  it('a getter that throws does not break the record', () => {
    const hostile = Object.defineProperty({}, 'boom', { enumerable: true, get() { throw new Error('no'); } });
    assert.deepEqual(redactValue(rules(), 'meta', { hostile }, 10_000).value, { hostile: { boom: '[Unreadable]' } });
  });

  it('replaces lone surrogates in values and keys', () => {
    const { value } = redactValue(rules(), 'body', { ['k\ud800']: 'v\udfff' }, 10_000);
    assert.deepEqual(value, { 'k\ufffd': 'v\ufffd' });
  });

  it('stays within the byte budget and counts what it cut', () => {
    const big: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) big[`k${i}`] = 'v'.repeat(50);
    const { value, truncated } = redactValue(rules(), 'body', big, 1024);
    assert.equal(truncated, true);
    const json = JSON.stringify(value);
    assert.ok(json.length < 1024 + 200, `${json.length} bytes`);
    assert.ok(((value as Record<string, number>).$truncated ?? 0) > 900);
    const long = redactValue(rules(), 'body', { text: 'x'.repeat(10_000) }, 256);
    assert.ok((long.value as { text: string }).text.endsWith('…[truncated]'));
    assert.ok((long.value as { text: string }).text.length < 300);
  });

  it('writes canonical JSON: keys in UTF-16 code-unit order, array-index keys included, and the cut marker in its place', () => {
    assert.equal(redactValue(rules(), 'body', { b: 1, a: { z: 1, y: 2 }, 10: 'x', 2: 'y', é: 1, Z: 0 }, 10_000).json, '{"10":"x","2":"y","Z":0,"a":{"y":2,"z":1},"b":1,"é":1}');
    const big: Record<string, string> = { '!first': 'x' };
    for (let i = 0; i < 100; i++) big[`k${String(i).padStart(3, '0')}`] = 'v'.repeat(20);
    const { json, value } = redactValue(rules(), 'body', big, 200);
    // No integer-like keys here, so JSON.parse keeps the text's order.
    const keys = Object.keys(value as object);
    assert.ok(json!.startsWith('{"!first":"x","$truncated":'), json);
    assert.deepEqual(keys, [...keys].sort());
    assert.equal(typeof (value as Record<string, unknown>).$truncated, 'number');
  });

  it('objects that share a first key but not the rest are each written with their own keys and rules', () => {
    const r = rules();
    // The same rules object across calls, as in a running auditor: the second shape must not reuse the first's order.
    assert.equal(redactValue(r, 'body', { name: 'a', zip: '1' }, 10_000).json, '{"name":"a","zip":"1"}');
    assert.equal(redactValue(r, 'body', { name: 'b', password: 'p', age: 3 }, 10_000).json, '{"age":3,"name":"b","password":"******"}');
    assert.equal(redactValue(r, 'body', { name: 'c', zip: '2' }, 10_000).json, '{"name":"c","zip":"2"}');
    assert.equal(redactValue(r, 'body', { name: 'd', zip: '3', token: 't' }, 10_000).json, '{"name":"d","token":"******","zip":"3"}');
  });

  it('never changes its input', () => {
    const input = { password: 'p', nested: { token: 't' } };
    const before = JSON.stringify(input);
    redactValue(rules(), 'body', input, 10_000);
    assert.equal(JSON.stringify(input), before);
  });
});
