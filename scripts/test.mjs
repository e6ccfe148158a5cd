// The whole test suite: build every package, type-check sources, tests and examples, then run every
// test file under Node's test runner (TypeScript through tsx). `.ci/run` and the README call this.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/**
 * System packages the tests drive for real: rsyslog (with its OpenSSL driver) as the syslog server,
 * openssl to make test certificates, strace to count fdatasync calls, chromium for the dashboard's
 * browser tests (driven by playwright-core at /usr/bin/chromium). Installed from Debian's packages
 * when missing, so a fresh machine needs only Node and npm. The fault tests also mount a tmpfs, which
 * needs root, as the CI machine has.
 */
function ensureSystemPackages() {
  const installed = (pkg) =>
    spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).stdout?.includes('install ok installed');
  const packages = ['rsyslog', 'rsyslog-openssl', 'openssl', 'strace', 'chromium'].filter((pkg) => !installed(pkg));
  if (packages.length === 0) return;
  if (process.getuid?.() !== 0) {
    console.error(`The tests need ${packages.join(', ')} (Debian packages). Install them as root: apt-get install -y ${packages.join(' ')}`);
    process.exit(1);
  }
  step('apt-get update', 'apt-get', ['update', '-qq']);
  step(`apt-get install ${packages.join(' ')}`, 'apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

const only = process.argv.slice(2);
ensureSystemPackages();
step('build', process.execPath, [join(root, 'scripts/build.mjs')]);
step('typecheck', process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
const files = only.length > 0 ? only : testFiles();
step(`tests (${files.length} files)`, process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  // The auditkit CLI records its own runs (docs/cli.md); the tests' runs go to a trail of their own,
  // not the user's ~/.local/state/auditkit/cli-audit.log.
  env: { ...process.env, NODE_NO_WARNINGS: '1', AUDITKIT_AUDIT_LOG: process.env.AUDITKIT_AUDIT_LOG ?? join(mkdtempSync(join(tmpdir(), 'auditkit-test-cli-')), 'cli-audit.log') },
});
