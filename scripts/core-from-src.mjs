// Loaded with `node --import tsx --import ./scripts/core-from-src.mjs`: resolves `@auditkit/core` (from
// tests and from the built adapters alike) to packages/core/src/index.ts, so a change to the core's
// source is seen without a build. The mutant runner (scripts/mutants.mjs) uses it.
import { register } from 'node:module';

register('./core-from-src-hooks.mjs', import.meta.url);
