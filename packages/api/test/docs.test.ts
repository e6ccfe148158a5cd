import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { API_ERROR_CODES, API_OPTION_NAMES, CSV_COLUMNS, DISTINCT_FIELDS, FILTER_PARAMETERS } from '@auditkit/api';

/** docs/api.md and the code agree: every parameter, error code, option, CSV column and distinct field is documented. */

const doc = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');

describe('docs/api.md and the API agree', () => {
  it('every filter parameter has a row in the filters table', () => {
    for (const name of FILTER_PARAMETERS) assert.match(doc, new RegExp('^\\| `' + name + '` \\|', 'm'), name);
  });

  it('every error code has a row in the errors table', () => {
    const documented = [...doc.matchAll(/^\| \d{3} \| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual(documented.sort(), [...API_ERROR_CODES].sort());
  });

  it('every option has a row in the options table', () => {
    for (const name of API_OPTION_NAMES) assert.match(doc, new RegExp('^\\| `' + name + '[`.]', 'm'), name);
  });

  it('the CSV columns and the distinct fields are listed in their order', () => {
    const flat = doc.replace(/\s+/g, ' ');
    assert.ok(flat.includes(CSV_COLUMNS.filter((c) => c !== 'other').map((c) => '`' + c + '`').join(', ')), 'CSV columns');
    assert.ok(flat.includes(DISTINCT_FIELDS.map((f) => '`' + f + '`').join(', ')), 'distinct fields');
  });
});
