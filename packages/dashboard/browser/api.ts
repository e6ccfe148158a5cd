/**
 * The page's only way to the data: the public query API, at addresses relative to the page (the page
 * is served at the mount's root, `…/audit/`). A bearer token given once in the page's address
 * (`?token=…`, as `auditkit serve` prints it) is moved to sessionStorage and removed from the address
 * bar before anything else runs, so it never sits in the history, a bookmark or a copied link.
 */

const TOKEN_KEY = 'auditkit.token';

export function adoptToken(): void {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token === null) return;
  if (token !== '') sessionStorage.setItem(TOKEN_KEY, token);
  url.searchParams.delete('token');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function authHeaders(): Record<string, string> {
  const t = token();
  return t === null ? {} : { authorization: `Bearer ${t}` };
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly parameter?: string,
  ) {
    super(message);
  }
}

export function endpoint(path: string, params?: URLSearchParams): string {
  const q = params?.toString() ?? '';
  return q === '' ? path : `${path}?${q}`;
}

export async function request(path: string, params?: URLSearchParams, signal?: AbortSignal): Promise<Response> {
  const response = await fetch(endpoint(path, params), { headers: { accept: 'application/json', ...authHeaders() }, credentials: 'same-origin', cache: 'no-store', signal: signal ?? null });
  if (!response.ok) {
    let body: { code?: string; message?: string; parameter?: string } = {};
    try {
      body = (await response.json()) as typeof body;
    } catch {
      // Not the API's JSON (a proxy's page, say): the status says enough.
    }
    throw new ApiFailure(response.status, body.code ?? 'http_' + response.status, body.message ?? response.statusText, body.parameter);
  }
  return response;
}

export async function getJson<T>(path: string, params?: URLSearchParams, signal?: AbortSignal): Promise<T> {
  return (await (await request(path, params, signal)).json()) as T;
}
