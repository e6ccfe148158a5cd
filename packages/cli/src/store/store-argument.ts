/**
 * The `--store` value as the commands receive it. The URL can carry a password
 * (`postgres://app:pw@db/audit`); the command needs it whole, the audit record and any message must
 * not have it. So the value is wrapped: `url` is what the command opens, and every text form of the
 * wrapper (`toJSON`, which the record's redaction reads, and `toString`) has the password masked.
 */
export class StoreArgument {
  readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  toJSON(): string {
    return maskStoreUrl(this.url);
  }

  toString(): string {
    return maskStoreUrl(this.url);
  }
}

const MASK = '******';
/** Query parameters a PostgreSQL URL may carry a secret in (pg-connection-string reads them). */
const SECRET_PARAMS = /([?&](?:password|sslpassword|sslkey)=)[^&#]*/gi;

/**
 * `postgres://app:******@db/audit`: the user stays (it says who connects), the password goes. The
 * user information ends at the last `@` before the query, as the WHATWG URL parser (and so pg) reads
 * it, so a password with an unencoded `@` or `/` is masked whole.
 */
export function maskStoreUrl(url: string): string {
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(url);
  if (scheme === null) return url;
  const start = scheme[0].length;
  const queryAt = url.slice(start).search(/[?#]/);
  const end = queryAt < 0 ? url.length : start + queryAt;
  const at = url.lastIndexOf('@', end - 1);
  let masked = url;
  if (at >= start) {
    const colon = url.indexOf(':', start);
    if (colon >= 0 && colon < at) masked = `${url.slice(0, colon + 1)}${MASK}${url.slice(at)}`;
  }
  return masked.replace(SECRET_PARAMS, `$1${MASK}`);
}

/** Any URL in a message (a parse error quoting what was typed) with its password masked. */
export function maskUrlsIn(text: string): string {
  return text.replace(/[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s'"]*/g, (url) => maskStoreUrl(url));
}
