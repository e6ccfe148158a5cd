import { hasCandidate } from './candidate.js';
import { ibanValid, luhnValid } from './checksums.js';

/**
 * Value detectors: secrets recognised by their shape, whatever name they sit under. The formats are
 * those of the public rule sets of gitleaks and GitHub secret scanning (JWT, GitHub, GitLab, Stripe,
 * Slack, OpenAI, npm, AWS, Google, SendGrid, PEM private keys), plus URLs carrying credentials, card
 * numbers (Luhn), IBANs (mod-97) and US SSNs. Only the secret part is replaced, so
 * `postgres://app:******@db:5432/prod` still says which database, and a certificate bundled with a
 * key stays readable.
 *
 * Cost: most strings hold no candidate, and for them the whole check is the prefix scan of
 * candidate.ts, a loop over the characters without any regular expression. Only a string that has a
 * candidate pays for the detectors (docs/benchmarks-redaction.md).
 */

/** What a detector needs from the rules: the mask, and which query parameter names are secret. */
export interface SecretContext {
  readonly mask: string;
  isSecretQueryName(name: string): boolean;
}

/** Strings shorter than this cannot hold any of the formats below. */
const MIN_LENGTH = 9;

const NOT_ALNUM_BEFORE = '(?<![A-Za-z0-9])';
const NOT_ALNUM_AFTER = '(?![A-Za-z0-9])';

/** Token formats, masked whole. */
const TOKENS = [
  String.raw`eyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]*`, // JWT (and JWS): base64url of `{"` begins with eyJ
  String.raw`gh[pousr]_[A-Za-z0-9]{36,255}`, // GitHub classic tokens
  String.raw`github_pat_\w{22,255}`, // GitHub fine-grained tokens
  String.raw`glpat-[\w-]{20,}`, // GitLab
  String.raw`[rs]k_(?:live|test)_[A-Za-z0-9]{10,247}`, // Stripe secret and restricted keys
  String.raw`whsec_[A-Za-z0-9+/=]{24,}`, // Stripe webhook signing secret
  String.raw`sk-(?:proj-|svcacct-|admin-)?[\w-]{20,}`, // OpenAI
  String.raw`xox[abposr]-[A-Za-z0-9-]{10,250}`, // Slack tokens
  String.raw`npm_[A-Za-z0-9]{36}`, // npm
  String.raw`(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}`, // AWS access key ids
  String.raw`AIza[\w-]{35}`, // Google API keys
  String.raw`SG\.[\w-]{22}\.[\w-]{43}`, // SendGrid
];

/**
 * One pass over a string that has a candidate. Each alternative is a named group; `replace` decides
 * per match (a checksum, a query parameter's name) what goes.
 */
const DETECT = new RegExp(
  [
    `(?<pem>-----BEGIN (?<pemType>(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----)[\\s\\S]*?(?:-----END \\k<pemType>-----|$)`,
    `(?<slack>https://hooks\\.slack\\.com/(?:services|workflows|triggers)/)[A-Za-z0-9/+_-]{20,}`,
    `${NOT_ALNUM_BEFORE}(?<token>${TOKENS.join('|')})(?![\\w-])`,
    // The password runs to the authority's last `@`, as URL parsers read it: one with an unencoded `@` is masked whole.
    `(?<userinfo>[a-zA-Z][a-zA-Z0-9+.-]{1,30}://[^\\s:@/?#]*:)[^\\s/?#]+@`,
    `(?<param>[?&](?<paramName>[^\\s=&#?]+)=)(?<paramValue>[^\\s&#]*)`,
    `(?<![\\d-])(?<card>[2-6]\\d(?:[ -]?\\d){11,17})(?![\\d-])`,
    `(?<![\\d-])(?<ssn>(?!000|666|9\\d\\d)\\d{3}-(?!00)\\d{2}-(?!0000)\\d{4})(?![\\d-])`,
    `${NOT_ALNUM_BEFORE}(?<iban>[A-Z]{2}\\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)${NOT_ALNUM_AFTER}`,
  ].join('|'),
  'g',
);

/** An AWS secret access key is 40 characters of base64: only recognisable by the name written before it. */
const AWS_SECRET = /((?:aws_?)?secret_?access_?key["']?\s*[:=]\s*["']?)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi;

interface Groups {
  pem?: string;
  pemType?: string;
  slack?: string;
  token?: string;
  userinfo?: string;
  param?: string;
  paramName?: string;
  paramValue?: string;
  card?: string;
  ssn?: string;
  iban?: string;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/**
 * `s` with every secret the detectors recognise replaced by the mask; `s` itself (the same string)
 * when there is none, so callers can compare by identity.
 */
export function maskSecrets(s: string, ctx: SecretContext): string {
  if (s.length < MIN_LENGTH || !hasCandidate(s)) return s;
  const mask = ctx.mask;
  let out = s.replace(DETECT, (match: string, ...args: unknown[]) => {
    const g = args[args.length - 1] as Groups;
    if (g.pem !== undefined) return `${g.pem}\n${mask}\n-----END ${g.pemType}-----`;
    if (g.slack !== undefined) return g.slack + mask;
    if (g.token !== undefined) return mask;
    // The user name stays (it says who), unless it is itself a token (`https://ghp_…:x-oauth-basic@`).
    if (g.userinfo !== undefined) return maskSecrets(g.userinfo, ctx) + mask + '@';
    if (g.param !== undefined) {
      if (g.paramValue!.length === 0) return match;
      // A parameter whose name is innocent can still hold a token (`?state=ghu_…`).
      return g.param + (ctx.isSecretQueryName(decodeName(g.paramName!)) ? mask : maskSecrets(g.paramValue!, ctx));
    }
    if (g.card !== undefined) return luhnValid(g.card) ? mask : match;
    if (g.ssn !== undefined) return mask;
    if (g.iban !== undefined) return ibanValid(g.iban) ? mask : match;
    return match;
  });
  if (/ecret_?access/i.test(out)) out = out.replace(AWS_SECRET, (_m, name: string) => name + mask);
  return out === s ? s : out;
}

/** True when a detector recognises a secret in `s` (an operator name that is really a key, say). */
export function looksSecret(s: string, ctx: SecretContext): boolean {
  return maskSecrets(s, ctx) !== s;
}
