/**
 * The request's cookies, for `authorize` (an app's session cookie). Parsed here so no mount needs a
 * cookie plugin; malformed pairs are skipped, and the result has no prototype, so a cookie named
 * `__proto__` is only data.
 */
export function parseCookies(header: string | string[] | undefined): Record<string, string> {
  const cookies = Object.create(null) as Record<string, string>;
  if (header === undefined) return cookies;
  const text = Array.isArray(header) ? header.join('; ') : header;
  for (const pair of text.split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    if (name.length === 0 || name in cookies) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      cookies[name] = decodeURIComponent(value);
    } catch {
      cookies[name] = value;
    }
  }
  return cookies;
}
