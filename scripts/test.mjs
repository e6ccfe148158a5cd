// The whole test suite: build every package, type-check sources, tests and examples, then run every
// test file under Node's test runner (TypeScript through tsx). `.ci/run` and the README call this.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function step(title, command, args, options = {}) {
  console.log(`\n== ${title}`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`\n${title} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
  console.log(`== ${title}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function testFiles() {
  const files = [];
  for (const group of ['packages', 'examples']) {
    for (const dir of readdirSync(join(root, group))) {
      const testDir = join(root, group, dir, 'test');
      if (!existsSync(testDir)) continue;
      for (const f of readdirSync(testDir)) if (f.endsWith('.test.ts')) files.push(relative(root, join(testDir, f)));
    }
  }
  return files.sort();
}

const only = process.argv.slice(2);
step('build', process.execPath, [join(root, 'scripts/build.mjs')]);
step('typecheck', process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
const files = only.length > 0 ? only : testFiles();
step(`tests (${files.length} files)`, process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  env: { ...process.env, NODE_NO_WARNINGS: '1' },
});
