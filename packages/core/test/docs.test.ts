import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CODES } from '../src/shared/errors.js';
import { OPTION_NAMES } from '../src/options.js';

const docs = (name: string): string => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');

describe('docs and code agree', () => {
  it('docs/errors.md lists exactly the error codes', () => {
    const documented = [...docs('errors.md').matchAll(/^\| `(AUDITKIT_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual(documented.sort(), Object.keys(ERROR_CODES).sort());
  });

  it('docs/options.md lists every top-level option', () => {
    const text = docs('options.md');
    for (const name of OPTION_NAMES) assert.match(text, new RegExp('\\| `' + name + '[`.]'), `${name} is documented`);
  });

  it('the README quick start is exactly two commands', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const block = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    assert.deepEqual(block.trim().split('\n'), [
      'npx --yes pnpm@10 install && npx --yes pnpm@10 demo',
      'npx --yes pnpm@10 install && npx --yes pnpm@10 test',
    ]);
    const ci = readFileSync(new URL('../../../.ci/run', import.meta.url), 'utf8');
    assert.ok(ci.includes('npx --yes pnpm@10 install && npx --yes pnpm@10 test'), '.ci/run runs the README test command');
  });
});
