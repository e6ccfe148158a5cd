import { createPublicKey, type KeyObject, type JsonWebKey } from 'node:crypto';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { AuthError } from '../model/record.js';

/**
 * JWT handling through jose: decode always (to name the attempted operator, even on a 401), verify
 * when keys are configured. An unverified claim is never reported as verified, `alg: none` never
 * verifies, and a malformed token is a recorded fact, never an exception.
 */

export interface JwtVerifyOptions {
  /** Shared secret for HS256/384/512. */
  secret?: string | Uint8Array;
  /** Public key: PEM (SPKI), a JWK, or a KeyObject. */
  publicKey?: string | JsonWebKey | KeyObject;
  /** A JWKS endpoint, fetched and cached by jose. */
  jwksUrl?: string | URL;
  /** Required `iss`. */
  issuer: string | readonly string[];
  /** Required `aud`. */
  audience: string | readonly string[];
  /** Allowed algorithms; by default those that fit the key. */
  algorithms?: readonly string[];
  /** Seconds of clock skew tolerated for exp/nbf. Default 0. */
  clockTolerance?: number;
}

export interface JwtOptions {
  /** The claim that names the operator; a list is tried in order. Default `sub`. */
  claim?: string | readonly string[];
  verify?: JwtVerifyOptions;
}

export interface JwtOutcome {
  source: string | null;
  verified: boolean;
  error: AuthError | null;
}

const HMAC_ALGS = ['HS256', 'HS384', 'HS512'];
const RSA_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const ASYMMETRIC_ALGS = [...RSA_ALGS, 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

const JWS_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const MALFORMED: JwtOutcome = Object.freeze({ source: null, verified: false, error: 'malformed' });

/**
 * Results are cached by token: apps resend the same token on every call, decoding costs microseconds
 * and verifying 10-100. A decoded claim is kept at most five minutes; a verified one not past its exp.
 */
const CACHE_MAX = 1024;
const CACHE_TTL_MS = 5 * 60_000;

interface Cached {
  outcome: JwtOutcome;
  until: number;
}

export class JwtInspector {
  readonly #claims: readonly string[];
  readonly #key: Uint8Array | KeyObject | JWTVerifyGetKey | undefined;
  readonly #algorithms: readonly string[];
  readonly #verify: JwtVerifyOptions | undefined;
  readonly #cache = new Map<string, Cached>();

  /** `options` must already be validated (see options.ts); this only prepares the key. */
  constructor(options: JwtOptions | undefined) {
    const claim = options?.claim ?? 'sub';
    this.#claims = typeof claim === 'string' ? [claim] : [...claim];
    const verify = options?.verify;
    this.#verify = verify;
    if (!verify) {
      this.#algorithms = [];
      return;
    }
    if (verify.secret !== undefined) {
      this.#key = typeof verify.secret === 'string' ? new TextEncoder().encode(verify.secret) : verify.secret;
      this.#algorithms = verify.algorithms ?? HMAC_ALGS;
    } else if (verify.publicKey !== undefined) {
      const key = toPublicKey(verify.publicKey);
      this.#key = key;
      this.#algorithms = verify.algorithms ?? algorithmsFor(key);
    } else {
      this.#key = createRemoteJWKSet(new URL(String(verify.jwksUrl)), {
        timeoutDuration: 5000,
        cooldownDuration: 30_000,
      });
      this.#algorithms = verify.algorithms ?? ASYMMETRIC_ALGS;
    }
  }

  get verifies(): boolean {
    return this.#verify !== undefined;
  }

  /** Synchronous when nothing needs verifying or the token's result is cached. */
  inspect(token: string): JwtOutcome | Promise<JwtOutcome> {
    const cached = this.#cache.get(token);
    if (cached && cached.until > Date.now()) return cached.outcome;
    // Anything that is not three base64url segments is malformed; jose would say so by throwing, slowly.
    if (!JWS_SHAPE.test(token)) return MALFORMED;
    let header: { alg?: unknown };
    let payload: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      payload = decodeJwt(token);
    } catch {
      return this.#remember(token, MALFORMED, Date.now() + CACHE_TTL_MS);
    }
    const source = this.#operatorOf(payload);
    if (header.alg === 'none') return this.#remember(token, { source, verified: false, error: 'alg_none' }, Date.now() + CACHE_TTL_MS);
    if (!this.#verify) return this.#remember(token, { source, verified: false, error: null }, Date.now() + CACHE_TTL_MS);
    if (typeof header.alg !== 'string' || !this.#algorithms.includes(header.alg)) {
      return this.#remember(token, { source, verified: false, error: 'alg_not_allowed' }, Date.now() + CACHE_TTL_MS);
    }
    return this.#verifyToken(token, source);
  }

  #remember(token: string, outcome: JwtOutcome, until: number): JwtOutcome {
    if (this.#cache.size >= CACHE_MAX) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(token, { outcome, until });
    return outcome;
  }

  async #verifyToken(token: string, claimed: string | null): Promise<JwtOutcome> {
    const verify = this.#verify!;
    let outcome: JwtOutcome;
    let cacheable = true;
    let until = Date.now() + CACHE_TTL_MS;
    try {
      const { payload } = await jwtVerify(token, this.#key as Uint8Array, {
        issuer: verify.issuer as string | string[],
        audience: verify.audience as string | string[],
        algorithms: [...this.#algorithms],
        clockTolerance: verify.clockTolerance ?? 0,
      });
      outcome = { source: this.#operatorOf(payload), verified: true, error: null };
      // A verified result must not outlive the token.
      if (typeof payload.exp === 'number') until = Math.min(until, payload.exp * 1000);
    } catch (err) {
      const error = classify(err);
      // Key fetch problems are transient: the next request should try again.
      cacheable = error !== 'key_unavailable';
      outcome = { source: claimed, verified: false, error };
    }
    if (cacheable) this.#remember(token, outcome, until);
    return outcome;
  }

  #operatorOf(payload: JWTPayload): string | null {
    for (const claim of this.#claims) {
      const value = payload[claim];
      if (typeof value === 'string' && value.length > 0) return value.slice(0, 256);
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    }
    return null;
  }
}

function toPublicKey(key: string | JsonWebKey | KeyObject): KeyObject {
  if (typeof key === 'string') return createPublicKey(key);
  if ('asymmetricKeyType' in key && typeof (key as KeyObject).export === 'function') return key as KeyObject;
  return createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
}

function algorithmsFor(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return RSA_ALGS;
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return ['ES256'];
      if (curve === 'secp384r1') return ['ES384'];
      if (curve === 'secp521r1') return ['ES512'];
      return [];
    }
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      return [];
  }
}

/** Validates a public key option at construction; returns a problem description or undefined. */
export function checkPublicKey(key: unknown): string | undefined {
  try {
    const k = toPublicKey(key as string);
    if (k.type !== 'public') return 'is not a public key';
    if (algorithmsFor(k).length === 0) return `has type ${k.asymmetricKeyType}, which JWTs cannot use`;
    return undefined;
  } catch (err) {
    return `cannot be read as a PEM, JWK or KeyObject (${(err as Error).message})`;
  }
}

function classify(err: unknown): AuthError {
  if (err instanceof joseErrors.JWTExpired) return 'expired';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return err.claim === 'nbf' ? 'not_yet_valid' : 'claim_invalid';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'alg_not_allowed';
  if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return 'no_matching_key';
  }
  if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid) return 'key_unavailable';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'malformed';
  // jose reports a JWKS endpoint that answers with something other than 200 as a generic error.
  if (err instanceof joseErrors.JOSEError && err.code === 'ERR_JOSE_GENERIC') return 'key_unavailable';
  // A failed fetch of the JWKS surfaces as a plain TypeError/Error from fetch.
  if (err instanceof Error && !(err instanceof joseErrors.JOSEError)) {
    return /fetch|network|ECONN|socket/i.test(err.message + String((err as { cause?: unknown }).cause))
      ? 'key_unavailable'
      : 'bad_signature';
  }
  return 'bad_signature';
}
