/**
 * The prefix scan: one pass over a string that answers "could a detector match here?" without
 * running the detectors' expressions. It stops at the few characters that begin or join the
 * formats (`_` of `ghp_`/`sk_live_`/`npm_`, `-` of `sk-`/`xoxb-`/`-----BEGIN`/an SSN, `J` of `eyJ`,
 * `A` of `AKIA`/`AIza`, `.` of `SG.`/`hooks.slack`, `@` after `://`, `?`/`&` of a query) and counts
 * digit runs (13 for a card, `CCdd` for an IBAN); at each it looks a few characters back or ahead.
 * A string with no candidate, which is nearly every string of a record, costs this scan and nothing
 * else.
 */

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;

/** `s` has the lower-case ASCII `word` ending just before `end` (letters compared without case when `fold`). */
function endsWith(s: string, end: number, word: string, fold = false): boolean {
  const start = end - word.length;
  if (start < 0) return false;
  for (let k = 0; k < word.length; k++) {
    let c = s.charCodeAt(start + k);
    if (fold && c >= 65 && c <= 90) c += 32;
    if (c !== word.charCodeAt(k)) return false;
  }
  return true;
}

function underscore(s: string, i: number): boolean {
  // gh?_ (GitHub), sk_/rk_ (Stripe), whsec_, npm_, github_pat_, secret_access (AWS, any case).
  if (i >= 3 && s.charCodeAt(i - 3) === 103 && s.charCodeAt(i - 2) === 104) return true;
  if (i >= 2 && s.charCodeAt(i - 1) === 107 && (s.charCodeAt(i - 2) === 115 || s.charCodeAt(i - 2) === 114)) return true;
  return endsWith(s, i, 'whsec') || endsWith(s, i, 'npm') || endsWith(s, i, 'github') || endsWith(s, i, 'secret', true);
}

function dash(s: string, i: number): boolean {
  // sk- (OpenAI), xox?- (Slack), glpat- (GitLab), -----BEGIN, ddd-dd-dddd (SSN).
  if (i >= 2 && s.charCodeAt(i - 1) === 107 && s.charCodeAt(i - 2) === 115) return true;
  if (i >= 4 && endsWith(s, i - 1, 'xox')) return true;
  if (endsWith(s, i, 'glpat')) return true;
  if (s.startsWith('----BEGIN', i + 1)) return true;
  return (
    i >= 3 &&
    !isDigit(s.charCodeAt(i - 4)) &&
    isDigit(s.charCodeAt(i - 1)) &&
    isDigit(s.charCodeAt(i - 2)) &&
    isDigit(s.charCodeAt(i - 3)) &&
    isDigit(s.charCodeAt(i + 1)) &&
    isDigit(s.charCodeAt(i + 2)) &&
    s.charCodeAt(i + 3) === 45
  );
}

/**
 * Where to look: the characters above, then digits. Finding them is left to the regular expression
 * engine's scan for a small character class (measured several times faster than a loop of charCodeAt
 * in JavaScript, and faster than one expression with both); what happens at each is a few comparisons.
 */
const TRIGGER = /[-_.@?&JA]/g;
const DIGIT = /\d/g;

function atTrigger(s: string, i: number): boolean {
  switch (s.charCodeAt(i)) {
    case 95: // _
      return underscore(s, i);
    case 45: // -
      return dash(s, i);
    case 46: // .
      return endsWith(s, i, 'hooks') || (i >= 2 && s.charCodeAt(i - 1) === 71 && s.charCodeAt(i - 2) === 83);
    case 74: // J of eyJ
      return i >= 2 && s.charCodeAt(i - 1) === 121 && s.charCodeAt(i - 2) === 101;
    case 65: // A of AKIA, ASIA, ABIA, ACCA, AIza; secretAccessKey
      return s.startsWith('KIA', i + 1) || s.startsWith('SIA', i + 1) || s.startsWith('Iza', i + 1) || s.startsWith('BIA', i + 1) || s.startsWith('CCA', i + 1) || endsWith(s, i, 'secret', true);
    case 64: // @ of scheme://user:pw@
      return s.lastIndexOf('://', i) !== -1;
    default: // ? and & of a query
      return s.indexOf('=', i) !== -1;
  }
}

/** At the digit `s[i]`: -1 when it starts an IBAN or a card candidate, else where its number ends. */
function digitRun(s: string, i: number): number {
  // An IBAN starts with two capital letters and two digits.
  if (i >= 2 && isUpper(s.charCodeAt(i - 1)) && isUpper(s.charCodeAt(i - 2)) && isDigit(s.charCodeAt(i + 1))) return -1;
  // A card: 13 or more digits, single spaces or dashes between them allowed.
  let digits = 0;
  let j = i;
  for (; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (isDigit(c)) digits++;
    else if (!((c === 32 || c === 45) && isDigit(s.charCodeAt(j + 1)) && isDigit(s.charCodeAt(j - 1)))) break;
  }
  return digits >= 13 ? -1 : j;
}

/** Below this length a plain loop is cheaper than starting the two scans. */
const SHORT = 48;

const TRIGGER_CHARS = new Uint8Array(128);
for (const c of '-_.@?&JA') TRIGGER_CHARS[c.charCodeAt(0)] = 1;

export function hasCandidate(s: string): boolean {
  if (s.length <= SHORT) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        const end = digitRun(s, i);
        if (end === -1) return true;
        // The dashes inside the number (an SSN's) are triggers too: look at them on the way.
        for (let k = i; k < end; k++) if (s.charCodeAt(k) === 45 && dash(s, k)) return true;
        i = end - 1;
      } else if (c < 128 && TRIGGER_CHARS[c] === 1 && atTrigger(s, i)) return true;
    }
    return false;
  }
  TRIGGER.lastIndex = 0;
  while (TRIGGER.test(s)) if (atTrigger(s, TRIGGER.lastIndex - 1)) return true;
  DIGIT.lastIndex = 0;
  while (DIGIT.test(s)) {
    const end = digitRun(s, DIGIT.lastIndex - 1);
    if (end === -1) return true;
    DIGIT.lastIndex = end;
  }
  return false;
}
