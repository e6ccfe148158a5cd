// Builds the package in the current directory: ESM (.js) and CommonJS (.cjs) with type declarations
// for both, so every package loads with `import` and with `require`.
import { readFileSync } from 'node:fs';
import { build } from 'tsup';

// A package may name more entry points (a worker thread's file) in package.json `buildEntries`.
const manifest = JSON.parse(readFileSync('package.json', 'utf8'));

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
