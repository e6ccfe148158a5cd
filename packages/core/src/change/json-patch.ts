/**
 * The difference between two JSON values as an RFC 6902 JSON Patch: applying the operations to
 * `before`, in order, gives `after`.
 *
 * The diff is deterministic (object members in canonical key order; array items by index, extra
 * items added at the end or removed from the end backwards so every index stays valid), so the same
 * change always writes the same bytes. It is not a minimal edit script: an item inserted at the start
 * of an array shows as replacements along it. That is the trade Kubernetes' strategic merge patch
 * also refuses to make blind; for an audit reader, "items[0]: a → b" is plain enough.
 *
 * Inputs are values parsed from canonical JSON (plain objects, arrays, strings, finite numbers,
 * booleans, null): this runs on redacted states, never on the application's own objects.
 */

export type PatchOp =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: unknown };

/** RFC 6901: `~` is written `~0` and `/` is written `~1` inside a reference token. */
export function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function jsonPatch(before: unknown, after: unknown): PatchOp[] {
  const ops: PatchOp[] = [];
  diffInto(before, after, '', ops);
  return ops;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function diffInto(a: unknown, b: unknown, path: string, ops: PatchOp[]): void {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      const at = path + '/' + pointerToken(key);
      const inA = Object.hasOwn(a, key);
      const inB = Object.hasOwn(b, key);
      if (inA && !inB) ops.push({ op: 'remove', path: at });
      else if (!inA && inB) ops.push({ op: 'add', path: at, value: b[key] });
      else diffInto(a[key], b[key], at, ops);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const common = Math.min(a.length, b.length);
    for (let i = 0; i < common; i++) diffInto(a[i], b[i], `${path}/${i}`, ops);
    for (let i = common; i < b.length; i++) ops.push({ op: 'add', path: `${path}/${i}`, value: b[i] });
    for (let i = a.length - 1; i >= common; i--) ops.push({ op: 'remove', path: `${path}/${i}` });
    return;
  }
  // Two primitives, or values of different kinds (an object became an array, a string became null).
  if (a !== b) ops.push({ op: 'replace', path, value: b });
}
