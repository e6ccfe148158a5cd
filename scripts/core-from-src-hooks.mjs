import { pathToFileURL } from 'node:url';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const coreSrc = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../packages/core/src/index.ts')).href;

export async function resolve(specifier, context, next) {
  if (specifier === '@auditkit/core') return { url: coreSrc, format: 'module', shortCircuit: true };
  return next(specifier, context);
}
