// Builds the package in the current directory: ESM (.js) and CommonJS (.cjs) with type declarations
// for both, so every package loads with `import` and with `require`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// A package may name more entry points (a worker thread's file) in package.json `buildEntries`.
const manifest = JSON.parse(readFileSync('package.json', 'utf8'));

// Also run by `prepack`: a workspace dependency not built yet would fail the type declarations with a
// cryptic error, so say what to run instead.
const require = createRequire(join(process.cwd(), 'package.json'));
for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
  if (!dep.startsWith('@auditkit/')) continue;
  let depDir;
  try {
    depDir = dirname(require.resolve(`${dep}/package.json`));
  } catch {
    continue;
  }
  if (!existsSync(join(depDir, 'dist', 'index.js'))) {
    console.error(`${manifest.name} needs ${dep} built first: run \`node scripts/build.mjs\` (every package, in order) or \`node scripts/pack.mjs\` (every tarball).`);
    process.exit(1);
  }
}

// `--if-stale` (prepack): a dist/ newer than every source file is already what would be packed.
if (process.argv.includes('--if-stale') && upToDate()) process.exit(0);

// A package may name a script that makes sources first in package.json `buildFirst`, reading the
// folders named in `buildInputs` (the dashboard bundles browser/ into a module its server code imports).
if (manifest.buildFirst) {
  const result = spawnSync(process.execPath, [manifest.buildFirst], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function upToDate() {
  const built = join('dist', 'index.js');
  if (!existsSync(built) || !existsSync(join('dist', 'index.d.ts'))) return false;
  const builtAt = statSync(built).mtimeMs;
  const newest = (dir) =>
    readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
      const path = join(dir, e.name);
      return Math.max(max, e.isDirectory() ? newest(path) : statSync(path).mtimeMs);
    }, 0);
  const inputs = ['src', ...(manifest.buildInputs ?? [])].filter((dir) => existsSync(dir));
  return Math.max(...inputs.map(newest), statSync('package.json').mtimeMs) < builtAt;
}

const { build } = await import('tsup');
await build({
  entry: manifest.buildEntries ?? ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  outDir: 'dist',
  splitting: false,
  silent: true,
  tsconfig: 'tsconfig.json',
});
