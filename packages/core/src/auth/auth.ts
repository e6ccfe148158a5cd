import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Fingerprinter } from '../redact/fingerprint.js';
import { JwtInspector, type JwtOptions } from './jwt.js';
import type { AuthError, AuthType } from '../model/record.js';

/**
 * Who is calling, from the request's credentials. Detection order: the Authorization header
 * (Bearer JWT, Basic, ApiKey), then API-key headers, then a session cookie. The credential itself
 * never reaches the record: a JWT yields its operator claim, Basic its user name, an API key the name
 * the resolver gives it (or a fingerprint), a session cookie only the fact that there was one.
 */

export interface ApiKeyOptions {
  /** Headers that carry an API key. Default `x-api-key`, `api-key`. */
  headers?: readonly string[];
  /**
   * Maps a key to its name (EMQX records the API key's name, never the key). Returning a name marks
   * the operator as verified: the key was found in the application's store. May return a promise.
   */
  resolve?: (key: string) => string | undefined | Promise<string | undefined>;
}

export interface SessionOptions {
  /** Cookie names that mean "a session": default `connect.sid`, `koa.sess`, `sessionid`, `session`, `sid`. */
  cookies?: readonly string[];
}

export interface AuthOptions {
  jwt?: JwtOptions;
  apiKey?: ApiKeyOptions;
  session?: SessionOptions;
}

export interface AuthResult {
  type: AuthType;
  source: string | null;
  verified: boolean;
  error: AuthError | null;
}

export const DEFAULT_API_KEY_HEADERS = ['x-api-key', 'api-key'];
export const DEFAULT_SESSION_COOKIES = ['connect.sid', 'koa.sess', 'sessionid', 'session', 'sid'];

/** No credential on the request. */
export const NO_AUTH: AuthResult = Object.freeze({ type: 'none', source: null, verified: false, error: null });
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const RESOLVE_CACHE_MAX = 1024;
const RESOLVE_TTL_MS = 60_000;

export type HookFailure = (what: string, err: unknown) => void;

export class AuthDetector {
  readonly #jwt: JwtInspector;
  readonly #apiKeyHeaders: readonly string[];
  readonly #resolve: ApiKeyOptions['resolve'];
  readonly #sessionCookies: readonly string[];
  readonly #resolved = new Map<string, { name: string | undefined; until: number }>();
  readonly #onHookFailure: HookFailure;
  readonly #fingerprint: (key: string) => string;

  /** `fingerprinter`: the install's keyed fingerprints (resolveOptions always gives one); without it, the bare SHA-256 prefix. */
  constructor(options: AuthOptions | undefined, onHookFailure: HookFailure, fingerprinter?: Fingerprinter) {
    this.#fingerprint = fingerprinter === undefined ? fingerprint : (key) => fingerprinter.of(key);
    this.#jwt = new JwtInspector(options?.jwt);
    this.#apiKeyHeaders = (options?.apiKey?.headers ?? DEFAULT_API_KEY_HEADERS).map((h) => h.toLowerCase());
    this.#resolve = options?.apiKey?.resolve;
    this.#sessionCookies = options?.session?.cookies ?? DEFAULT_SESSION_COOKIES;
    this.#onHookFailure = onHookFailure;
  }

  detect(headers: IncomingHttpHeaders): AuthResult | Promise<AuthResult> {
    const authorization = headers.authorization;
    if (typeof authorization === 'string' && authorization.length > 0) {
      const space = authorization.indexOf(' ');
      const scheme = (space === -1 ? authorization : authorization.slice(0, space)).toLowerCase();
      const credential = space === -1 ? '' : authorization.slice(space + 1).trim();
      if (scheme === 'bearer') return this.#bearer(credential);
      if (scheme === 'basic') return basic(credential);
      if (scheme === 'apikey' || scheme === 'api-key') return this.#apiKey(credential);
    }
    for (const name of this.#apiKeyHeaders) {
      const key = headers[name];
      if (typeof key === 'string' && key.length > 0) return this.#apiKey(key);
    }
    if (typeof headers.cookie === 'string' && hasCookie(headers.cookie, this.#sessionCookies)) {
      return { type: 'session', source: null, verified: false, error: null };
    }
    return NO_AUTH;
  }

  #bearer(token: string): AuthResult | Promise<AuthResult> {
    const outcome = this.#jwt.inspect(token);
    if (outcome instanceof Promise) return outcome.then((o) => ({ type: 'jwt_token' as const, ...o }));
    return { type: 'jwt_token', ...outcome };
  }

  #apiKey(key: string): AuthResult | Promise<AuthResult> {
    if (!this.#resolve) return { type: 'api_key', source: this.#fingerprint(key), verified: false, error: null };
    const cached = this.#resolved.get(key);
    if (cached && cached.until > Date.now()) return this.#apiKeyResult(key, cached.name);
    let name: string | undefined | Promise<string | undefined>;
    try {
      name = this.#resolve(key);
    } catch (err) {
      this.#onHookFailure('auth.apiKey.resolve', err);
      return { type: 'api_key', source: this.#fingerprint(key), verified: false, error: null };
    }
    if (name instanceof Promise) {
      return name.then(
        (n) => {
          this.#remember(key, n);
          return this.#apiKeyResult(key, n);
        },
        (err: unknown) => {
          this.#onHookFailure('auth.apiKey.resolve', err);
          return { type: 'api_key' as const, source: this.#fingerprint(key), verified: false, error: null };
        },
      );
    }
    this.#remember(key, name);
    return this.#apiKeyResult(key, name);
  }

  #apiKeyResult(key: string, name: string | undefined): AuthResult {
    if (typeof name === 'string' && name.length > 0) {
      return { type: 'api_key', source: name.slice(0, 256), verified: true, error: null };
    }
    return { type: 'api_key', source: this.#fingerprint(key), verified: false, error: 'unknown_key' };
  }

  #remember(key: string, name: string | undefined): void {
    if (this.#resolved.size >= RESOLVE_CACHE_MAX) this.#resolved.delete(this.#resolved.keys().next().value!);
    this.#resolved.set(key, { name: typeof name === 'string' ? name : undefined, until: Date.now() + RESOLVE_TTL_MS });
  }
}

/**
 * The unkeyed fingerprint of an AuthDetector made without the install's Fingerprinter (tests, tools):
 * a short SHA-256 prefix. Audited services get keyed ones (redact/fingerprint.ts); configure
 * `auth.apiKey.resolve` to record the key's real name instead.
 */
export function fingerprint(key: string): string {
  return 'key-sha256:' + createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function basic(credential: string): AuthResult {
  if (!BASE64.test(credential)) return { type: 'basic', source: null, verified: false, error: 'malformed' };
  const decoded = Buffer.from(credential, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return { type: 'basic', source: null, verified: false, error: 'malformed' };
  // Everything after the colon is the password: it is dropped here and goes no further.
  return { type: 'basic', source: decoded.slice(0, Math.min(colon, 256)).toWellFormed(), verified: false, error: null };
}

function hasCookie(header: string, names: readonly string[]): boolean {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim();
    if (names.includes(name)) return true;
  }
  return false;
}
