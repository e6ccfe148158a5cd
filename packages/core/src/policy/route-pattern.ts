/**
 * Route patterns for policy rules: either an exact template (`/users/:id`) or a glob over templates,
 * where `*` stands for one path segment and `**` for any number of them: `/admin/**` is everything
 * under /admin, and a leading `/**` before `/health` matches a health route at any depth.
 */

const SPECIAL = /[.+?^${}()|[\]\\]/g;

export function isGlob(pattern: string): boolean {
  return pattern.includes('*');
}

export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        // `/**/x` must also match `/x`, so a `**` segment swallows its following slash.
        if (pattern[i + 1] === '/') {
          i++;
          source += '(?:.*/)?';
        } else {
          source += '.*';
        }
      } else {
        source += '[^/]*';
      }
    } else {
      source += c.replace(SPECIAL, '\\$&');
    }
  }
  return new RegExp('^' + source + '$');
}

const normalized = new Map<string, string>();
const NORMALIZED_MAX = 2048;

/**
 * Normalises a template so the same route reads the same from every framework: no trailing slash.
 * Remembered, since the same few templates come back on every request.
 */
export function normalizeTemplate(template: string): string {
  const known = normalized.get(template);
  if (known !== undefined) return known;
  const t = normalize(template);
  if (normalized.size >= NORMALIZED_MAX) normalized.clear();
  normalized.set(template, t);
  return t;
}

function normalize(template: string): string {
  let t = template;
  if (t.length === 0) return '/';
  if (t[0] !== '/') t = '/' + t;
  t = t.replace(/\/{2,}/g, '/');
  if (t.length > 1 && t.endsWith('/')) t = t.slice(0, -1);
  return t;
}

export interface CompiledPattern {
  readonly source: string;
  matches(template: string): boolean;
}

export function compilePattern(pattern: string): CompiledPattern {
  if (!isGlob(pattern)) {
    const exact = normalizeTemplate(pattern);
    return { source: pattern, matches: (t) => t === exact };
  }
  const re = globToRegExp(normalizeTemplate(pattern));
  return { source: pattern, matches: (t) => re.test(t) };
}
