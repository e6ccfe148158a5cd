import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, FILTER_PARAMETERS, parseFilter, readQuery } from '@auditkit/api';

/** Query parameters → the one AuditFilter the stores translate: every parameter, with expected values written out. */

const filterOf = (query: string) => parseFilter(readQuery(query, FILTER_PARAMETERS));

function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, `an ApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a refusal');
}

describe('filter parameters', () => {
  it('every exact-match parameter, with comma lists and ! exclusion', () => {
    assert.deepEqual(filterOf('node=a&from=rest_api&source=!alice,bob&operation_id=/users/:id&operation_type=users'), {
      match: {
        node: { values: ['a'], negate: false },
        from: { values: ['rest_api'], negate: false },
        source: { values: ['alice', 'bob'], negate: true },
        operation_id: { values: ['/users/:id'], negate: false },
        operation_type: { values: ['users'], negate: false },
      },
    });
    assert.deepEqual(filterOf('operation_result=FAILURE&http_method=POST,put&request_id=r-1&event=user.created&target_type=user&target_id=42,43'), {
      match: {
        operation_result: { values: ['failure'], negate: false },
        http_method: { values: ['post', 'put'], negate: false },
        request_id: { values: ['r-1'], negate: false },
        event: { values: ['user.created'], negate: false },
        target_type: { values: ['user'], negate: false },
        target_id: { values: ['42', '43'], negate: false },
      },
    });
  });

  it('a comma or a leading ! inside a value is written with a backslash', () => {
    assert.deepEqual(filterOf(`source=${encodeURIComponent('Doe\\, John,\\!bang,a\\\\b')}`).match?.source, { values: ['Doe, John', '!bang', 'a\\b'], negate: false });
  });

  it('source_ip: addresses as the core records them, CIDR blocks masked to their prefix', () => {
    assert.deepEqual(filterOf(`source_ip=${encodeURIComponent('10.1.2.3/8,::FFFF:10.0.0.1,2001:DB8:0:0:0:0:0:1,::ffff:192.168.1.7/120,2001:db8::/32')}`).source_ip, {
      addresses: ['10.0.0.1', '2001:db8::1'],
      cidrs: [
        { family: 4, network: '10.0.0.0', prefix: 8 },
        { family: 4, network: '192.168.1.0', prefix: 24 },
        { family: 6, network: '2001:db8::', prefix: 32 },
      ],
      negate: false,
    });
    assert.equal(filterOf('source_ip=!127.0.0.1').source_ip?.negate, true);
  });

  it('http_status_code: codes, comparisons, ranges and Nxx', () => {
    assert.deepEqual(filterOf(`http_status_code=${encodeURIComponent('>=400,<200,404,500-503,2xx,>499,<=301')}`).http_status_code, {
      values: [404],
      ranges: [{ gte: 400 }, { lte: 199 }, { gte: 500, lte: 503 }, { gte: 200, lte: 299 }, { gte: 500 }, { lte: 301 }],
      negate: false,
    });
    // Unencoded, as curl and browsers send it.
    assert.deepEqual(filterOf('http_status_code=!>=400').http_status_code, { values: [], ranges: [{ gte: 400 }], negate: true });
  });

  it('gte/lte_created_at: epoch ms, epoch µs and RFC 3339 in any offset are the same instant', () => {
    const at = 1_714_564_800_000_000; // 2024-05-01T12:00:00Z
    for (const text of ['1714564800000', '1714564800000000', '2024-05-01T12:00:00Z', '2024-05-01t12:00:00z', '2024-05-01T14:00:00+02:00', '2024-05-01T14:00:00 02:00', '2024-05-01T09:30:00-02:30', '2024-05-01 12:00:00.000000Z']) {
      assert.equal(filterOf(`gte_created_at=${encodeURIComponent(text)}`).time?.gte, at, text);
    }
    assert.equal(filterOf('lte_created_at=2024-05-01T12:00:00.5Z').time?.lte, at + 500_000);
    assert.equal(filterOf('lte_created_at=2024-05-01T12:00:00.1234567Z').time?.lte, at + 123_456);
    assert.equal(filterOf('gte_created_at=1969-12-31T23:00:00Z').time?.gte, 0);
    assert.deepEqual(filterOf('gte_created_at=1714564800000&lte_created_at=1714564800000').time, { gte: at, lte: at });
  });

  it('duration and free text', () => {
    assert.deepEqual(filterOf('gte_duration_ms=1.5&lte_duration_ms=-1').duration_ms, { gte: 1.5, lte: -1 });
    assert.equal(filterOf('q=Hello%20World').text, 'Hello World');
  });

  it('an empty value counts as absent (a form sends its blank fields)', () => {
    assert.deepEqual(filterOf('source=&node=&q='), {});
  });
});

describe('parameter errors name the parameter and the accepted form', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['soruce=alice', 'soruce', /unknown parameter; accepted: node, from, source/],
    ['source=a&source=b', 'source', /more than once; accepted: .*comma list/],
    ['source=!', 'source', /! with nothing to exclude/],
    ['source=a,,b', 'source', /an empty value/],
    ['gte_created_at=yesterday', 'gte_created_at', /not a time; accepted: RFC 3339 .*epoch ms .*epoch µs/],
    ['gte_created_at=2024-05-01T12:00:00', 'gte_created_at', /without its offset/],
    ['lte_created_at=2024-02-30T00:00:00Z', 'lte_created_at', /no such date/],
    ['lte_created_at=2024-05-01T12:00:00%2B24:00', 'lte_created_at', /no such offset/],
    ['gte_created_at=99999999999999999', 'gte_created_at', /out of range/],
    ['gte_created_at=2024-05-02T00:00:00Z&lte_created_at=2024-05-01T00:00:00Z', 'lte_created_at', /before gte_created_at/],
    ['gte_duration_ms=fast', 'gte_duration_ms', /not a number/],
    ['source_ip=10.0.0.300', 'source_ip', /not an IP address/],
    ['source_ip=10.0.0.0/33', 'source_ip', /prefix longer/],
    ['source_ip=10.0.0.0/x', 'source_ip', /no prefix length/],
    ['http_status_code=600', 'http_status_code', /not an HTTP status; accepted: codes and ranges/],
    ['http_status_code=500-400', 'http_status_code', /is empty/],
    ['http_status_code=teapot', 'http_status_code', /not a status code or range/],
    ['operation_result=maybe', 'operation_result', /not a result; accepted: success or failure/],
    ['http_method=P0ST', 'http_method', /not an HTTP method/],
    [`q=${'x'.repeat(257)}`, 'q', /at most 256/],
    [`request_id=${'r'.repeat(129)}`, 'request_id', /at most 128/],
  ];
  for (const [query, parameter, message] of cases) {
    it(`${query.slice(0, 60)} → 400 naming ${parameter}`, () => {
      const err = refusal(() => filterOf(query));
      assert.equal(err.status, 400);
      assert.equal(err.code, 'bad_parameter');
      assert.equal(err.parameter, parameter);
      assert.match(err.message, message);
    });
  }
});
