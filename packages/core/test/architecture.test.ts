import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

/**
 * The layout is the pipeline (docs/architecture.md): a folder per stage, and a stage never imports a
 * stage above it. This test reads the sources' import statements, so a refactor that reaches upward,
 * or a file left at the root, fails here rather than in review.
 */

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Lowest first. A file may import its own folder and any folder listed before it. */
const LAYERS = ['shared', 'model', 'redact', 'change', 'auth', 'capture', 'policy', 'record', 'integrity', 'delivery', 'events', '.', 'launch'];
/** The public entry re-exports every stage. */
const ENTRY = 'index.ts';
/**
 * Type-only imports that may reach upward, each for a reason. None today: every concern resolves its
 * own options (`<stage>/options.ts`) and each stage is typed with the settings it reads. An entry added
 * here must name its edge (`from -> to`) and say why.
 */
const TYPE_ONLY_UPWARD = new Set<string>([]);

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  const statement = /^(import|export)\s+(type\s+)?([^;]*?)\s*from\s+'(\.{1,2}\/[^']+)'/gms;
  for (const m of text.matchAll(statement)) {
    const clause = m[3]!;
    const named = /^\{([^}]*)\}$/s.exec(clause.trim());
    const allTypes =
      m[2] !== undefined ||
      (named !== null && named[1]!.split(',').filter((s) => s.trim() !== '').every((s) => s.trim().startsWith('type ')));
    const target = relative(src, resolve(dirname(file), m[4]!.replace(/\.js$/, '.ts')));
    found.push({ from: relative(src, file), to: target, typeOnly: allTypes });
  }
  return found;
}

function layerOf(path: string): number {
  const folder = path.includes('/') ? path.split('/')[0]! : '.';
  const index = LAYERS.indexOf(folder);
  assert.notEqual(index, -1, `${path} is in a folder the layer list does not know`);
  return index;
}

const files = sources(src);
const imports = files.flatMap(importsOf);

describe('core layout', () => {
  it('every file but the entry, the auditor and its options sits in a stage folder', () => {
    const atRoot = files.map((f) => relative(src, f)).filter((f) => !f.includes('/')).sort();
    assert.deepEqual(atRoot, ['auditor.ts', 'controls.ts', 'index.ts', 'options.ts']);
  });

  it('no stage imports a stage above it', () => {
    const upward = imports
      .filter((i) => i.from !== ENTRY)
      .filter((i) => layerOf(i.to) > layerOf(i.from))
      .filter((i) => !(i.typeOnly && TYPE_ONLY_UPWARD.has(`${i.from} -> ${i.to}`)))
      .map((i) => `${i.from} -> ${i.to}${i.typeOnly ? ' (type)' : ''}`);
    assert.deepEqual(upward, []);
  });

  it('the imports that load code form no cycle', () => {
    const edges = new Map<string, string[]>();
    for (const i of imports) if (!i.typeOnly) edges.set(i.from, [...(edges.get(i.from) ?? []), i.to]);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (node: string, path: string[]): void => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'open') {
        cycles.push([...path.slice(path.indexOf(node)), node].join(' -> '));
        return;
      }
      state.set(node, 'open');
      for (const next of edges.get(node) ?? []) visit(next, [...path, node]);
      state.set(node, 'done');
    };
    for (const f of files) visit(relative(src, f), []);
    assert.deepEqual(cycles, []);
  });

  it('the checker sees the imports it checks', () => {
    // Guards the regex: the auditor loads the channel, and the record builder only its settings' type.
    assert.ok(imports.some((i) => i.from === 'auditor.ts' && i.to === 'delivery/channel.ts' && !i.typeOnly));
    assert.ok(imports.some((i) => i.from === 'record/record-builder.ts' && i.to === 'record/options.ts' && i.typeOnly));
    // An exception whose import is gone would let the next one through unnoticed.
    for (const edge of TYPE_ONLY_UPWARD) assert.ok(imports.some((i) => i.typeOnly && `${i.from} -> ${i.to}` === edge), `${edge} is no longer imported: remove it from TYPE_ONLY_UPWARD`);
  });
});
