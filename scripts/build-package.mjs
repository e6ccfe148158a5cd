// Builds the package in the current directory: ESM (.js) and CommonJS (.cjs) with type declarations
// for both, so every package loads with `import` and with `require`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { build } from 'tsup';

// A package may name more entry points (a worker thread's file) in package.json `buildEntries`.
const manifest = JSON.parse(readFileSync('package.json', 'utf8'));

// A package may name a script that makes sources first in package.json `buildFirst` (the dashboard
// bundles its browser code into a module the server code imports).
if (manifest.buildFirst) {
  const result = spawnSync(process.execPath, [manifest.buildFirst], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

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
