// Builds every publishable package in dependency order (a package builds after the workspace
// packages it depends on), running independent packages side by side.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = join(root, 'packages');

const packages = readdirSync(packagesDir)
  .map((dir) => join(packagesDir, dir))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter((p) => p.manifest.scripts?.build);

const byName = new Map(packages.map((p) => [p.manifest.name, p]));
const workspaceDeps = (p) =>
  Object.keys({ ...p.manifest.dependencies, ...p.manifest.peerDependencies }).filter((d) => byName.has(d));

function run(p) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'scripts/build-package.mjs')], { cwd: p.dir, stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`build of ${p.manifest.name} failed (${code})`))));
  });
}

const done = new Set();
while (done.size < packages.length) {
  const ready = packages.filter((p) => !done.has(p.manifest.name) && workspaceDeps(p).every((d) => done.has(d)));
  if (ready.length === 0) throw new Error('dependency cycle between packages');
  const started = Date.now();
  await Promise.all(ready.map(run));
  for (const p of ready) done.add(p.manifest.name);
  console.log(`built ${ready.map((p) => p.manifest.name).join(', ')} in ${Date.now() - started} ms`);
}
