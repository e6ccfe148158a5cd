import { keyInfo, scrubbed, STRING_CUT, type RedactionRules } from './redact.js';

/**
 * A console statement as its record holds it: as typed, except that a string literal given to a
 * secret-looking name is masked (`password: '…'`, `token = "…"`, `setApiKey('…')`, `login(u, '…')`,
 * by the same keyword rules as everything else), and capped.
 *
 * This is defence in depth, not redaction: code can carry a secret in ways no scanner can see (a
 * variable named `x`, a secret split in two). That is why statement records are marked `sensitive`
 * and why console1984 asks for a reason before the session starts.
 */

export const STATEMENT_CHARS = 4096;

type Token = { kind: 'name' | 'string' | 'punct' | 'other'; text: string; start: number; end: number };

function tokenize(code: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < code.length) {
    const c = code[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '/' && code[i + 1] === '/') {
      const nl = code.indexOf('\n', i);
      i = nl === -1 ? code.length : nl;
      continue;
    }
    if (c === '/' && code[i + 1] === '*') {
      const close = code.indexOf('*/', i + 2);
      i = close === -1 ? code.length : close + 2;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < code.length && code[j] !== c) j += code[j] === '\\' ? 2 : 1;
      const end = Math.min(j + 1, code.length);
      tokens.push({ kind: 'string', text: code.slice(i, end), start: i, end });
      i = end;
      continue;
    }
    const name = /^[A-Za-z_$][\w$]*/.exec(code.slice(i, i + 256));
    if (name) {
      tokens.push({ kind: 'name', text: name[0], start: i, end: i + name[0].length });
      i += name[0].length;
      continue;
    }
    if ('():=,[]{}'.includes(c)) {
      // `==` and `===` compare; only a single `=` assigns.
      if (c === '=' && (code[i + 1] === '=' || code[i - 1] === '=' || code[i - 1] === '!' || code[i + 1] === '>')) {
        tokens.push({ kind: 'other', text: c, start: i, end: i + 1 });
      } else tokens.push({ kind: 'punct', text: c, start: i, end: i + 1 });
      i++;
      continue;
    }
    tokens.push({ kind: 'other', text: c, start: i, end: i + 1 });
    i++;
  }
  return tokens;
}

function unquote(token: Token): string {
  return token.kind === 'string' ? token.text.slice(1, -1) : token.text;
}

export function maskStatement(rules: RedactionRules, code: string): { text: string; truncated: boolean } {
  const tokens = tokenize(code);
  const secret = (name: string | undefined): boolean => name !== undefined && keyInfo(rules, name).mode !== undefined;
  // For each open parenthesis, the name of what is being called (`setPassword` in `setPassword(`).
  const calls: Array<string | undefined> = [];
  const masked: Array<[number, number]> = [];
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t]!;
    const prev = tokens[t - 1];
    if (tok.kind === 'punct' && tok.text === '(') calls.push(prev?.kind === 'name' ? prev.text : undefined);
    else if (tok.kind === 'punct' && tok.text === ')') calls.pop();
    if (tok.kind !== 'string' || prev === undefined) continue;
    let owner: string | undefined;
    if (prev.kind === 'punct' && (prev.text === ':' || prev.text === '=')) {
      const key = tokens[t - 2];
      if (key && (key.kind === 'name' || key.kind === 'string')) owner = unquote(key);
      // config['client_secret'] = '…'
      else if (key?.text === ']' && tokens[t - 3]?.kind === 'string') owner = unquote(tokens[t - 3]!);
    } else if (prev.kind === 'punct' && (prev.text === '(' || prev.text === ',')) {
      owner = calls.at(-1);
    }
    if (secret(owner)) masked.push([tok.start, tok.end]);
  }
  let out = '';
  let at = 0;
  for (const [start, end] of masked) {
    out += code.slice(at, start) + JSON.stringify(rules.mask);
    at = end;
  }
  out += code.slice(at);
  out = out.isWellFormed() ? out : out.toWellFormed();
  // A token, key or connection URL typed anywhere in the statement (`connect('postgres://u:pw@…')`).
  out = scrubbed(rules, out);
  if (out.length <= STATEMENT_CHARS) return { text: out, truncated: false };
  return { text: out.slice(0, STATEMENT_CHARS) + STRING_CUT, truncated: true };
}
