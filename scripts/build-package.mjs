// Builds the package in the current directory: ESM (.js) and CommonJS (.cjs) with type declarations
// for both, so every package loads with `import` and with `require`.
import { build } from 'tsup';

await build({
  entry: ['src/index.ts'],
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
