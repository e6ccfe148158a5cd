import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAcceptableRequestId, uuidv7 } from '../src/shared/ids.js';
import { nowMicros, Rfc3339Formatter, parseTimeOffset } from '../src/shared/clock.js';
import { hmacValue } from '../src/shared/hmac.js';

describe('ids', () => {
  it('are RFC 9562 version 7, variant 10', () => {
    for (let i = 0; i < 1000; i++) assert.match(uuidv7(), /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('sort in creation order, even 10,000 within one millisecond', () => {
    const ms = Date.now() + 10_000;
    const ids = Array.from({ length: 10_000 }, () => uuidv7(ms));
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(uuidv7(ms - 5000) > ids.at(-1)!, 'a clock step backwards does not reorder ids');
  });

  it('carry their millisecond', () => {
    const ms = Date.UTC(2030, 0, 1);
    const id = uuidv7(ms + 50_000);
    assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16) >= ms, true);
  });

  it('accepts only short printable request ids', () => {
    assert.ok(isAcceptableRequestId('abc-123_x.y'));
    for (const bad of ['', 'a b', 'a'.repeat(129), 'x\ny', 'é', undefined, ['a']]) assert.ok(!isAcceptableRequestId(bad), String(bad));
  });
});

describe('clock', () => {
  it('gives microseconds close to Date.now()', () => {
    const us = nowMicros();
    assert.ok(Number.isSafeInteger(us));
    assert.ok(Math.abs(us / 1000 - Date.now()) < 50);
  });

  it('formats RFC 3339 with six fractional digits in fixed offsets', () => {
    const t = Date.UTC(2026, 10, 22, 23, 30, 5) * 1000 + 123_456;
    assert.equal(new Rfc3339Formatter('utc').format(t), '2026-11-22T23:30:05.123456Z');
    assert.equal(new Rfc3339Formatter('+02:00').format(t), '2026-11-23T01:30:05.123456+02:00');
    assert.equal(new Rfc3339Formatter('-05:30').format(t), '2026-11-22T18:00:05.123456-05:30');
    const f = new Rfc3339Formatter('system');
    assert.equal(new Date(f.format(t)).getTime(), Math.floor(t / 1000));
  });

  it('rejects malformed offsets', () => {
    for (const bad of ['+2:00', '02:00', '+24:00', '+01:60', 'local']) assert.throws(() => parseTimeOffset(bad), bad);
  });
});

describe('hmac', () => {
  it("passes Vault's golden vector", () => {
    assert.equal(hmacValue('foo', 'foo'), 'hmac-sha256:08ba357e274f528065766c770a639abf6809b39ccfd37c2a3157c7f51954da0a');
    assert.equal(hmacValue('foo', 'bar'), 'hmac-sha256:f9320baf0249169e73850cd6156ded0106e2bb6ad8cab01b7bbbebe6d1065317');
  });
});
