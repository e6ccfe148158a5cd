/**
 * The default name lists, at their source (docs/options.md lists each). Names are compared flattened:
 * lower case, without `_`, `-`, `.` or spaces, so `api_key`, `apiKey` and `X-Api-Key` are one name.
 *
 * Keywords of four characters or fewer (`pin`, `pass`, `iban`) match only a whole word of a key, so
 * `passport`, `compass`, `pinned` and `pandas` stay readable; longer ones match anywhere in the key.
 */

/** Keys whose values never reach a sink, at any depth of any part of the record. */
export const DEFAULT_REDACT_KEYS = [
  // OWASP's list: passwords, tokens, session ids, keys, card data.
  'password',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'passcode',
  'secret',
  'token',
  'api_key',
  'apikey',
  'access_key',
  'access_token',
  'refresh_token',
  'private_key',
  'client_secret',
  'credential',
  'authorization',
  'cookie',
  'session_id',
  // One-time and recovery codes.
  'otp',
  'totp',
  'hotp',
  'mfa_code',
  'verification_code',
  'recovery_code',
  'backup_code',
  'security_answer',
  'mnemonic',
  'seed_phrase',
  // Keys named for what they do (`sortKey`, `primaryKey` are not among them).
  'new_key',
  'old_key',
  'signing_key',
  'master_key',
  'encryption_key',
  'shared_key',
  'license_key',
  'share_key',
  'invite_code',
  'reset_code',
  // SCRAM's proof of the password (EMQX #18944).
  'client_proof',
  'server_signature',
  // Card, bank and identity numbers.
  'card_number',
  'card_no',
  'cvv',
  'cvc',
  'pin',
  'pan',
  'iban',
  'account_number',
  'routing_number',
  'ssn',
  'social_security',
  'tax_id',
];

/**
 * Query parameters that are secrets in a query string and ordinary words in a body (`code`, `key`,
 * `sig`): applied to `query_string` and to the query of any URL-valued string, on top of the keywords
 * above. Names of four characters or fewer must be the whole parameter name, so `code_challenge_method`
 * stays readable.
 */
export const DEFAULT_QUERY_KEYS = [
  'code', // OAuth authorization code
  'code_verifier', // PKCE
  'key', // Google API keys
  'sig', // Azure SAS
  'signature',
  'X-Amz-Signature',
  'X-Goog-Signature',
  'jwt',
  'auth',
  'session',
  'sid',
  'ticket', // CAS
  'assertion',
  'SAMLResponse',
];

/** Request headers masked by exact name (EMQX's six, and the ones real APIs send). */
export const DEFAULT_MASKED_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'x-auth-token',
  'x-amzn-oidc-data',
  'x-amzn-oidc-accesstoken',
  'x-goog-iap-jwt-assertion',
  'cf-access-jwt-assertion',
  'x-hub-signature',
  'x-hub-signature-256',
  'stripe-signature',
  'x-sentry-auth',
];

/** A header with one of these as a whole word of its name is masked too (`x-acme-session`, `x-twilio-signature`). */
export const DEFAULT_HEADER_WORDS = ['session', 'signature', 'sig', 'auth', 'jwt', 'hmac'];
