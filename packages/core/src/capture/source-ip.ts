import type { IncomingHttpHeaders } from 'node:http';
import proxyaddr from 'proxy-addr';

/**
 * The operator's address. X-Forwarded-For is only believed hop by hop through proxies the operator
 * trusts (the `trustProxy` option, with Express's semantics, through jshttp's proxy-addr): EMQX was
 * criticised for taking the header at its word, which lets any client write any address.
 */

export type TrustProxy = boolean | number | string | readonly string[] | ((address: string, hop: number) => boolean);

export type SourceIpResolver = (remoteAddress: string | undefined, headers: IncomingHttpHeaders) => string;

export function compileSourceIp(trust: TrustProxy): SourceIpResolver {
  if (trust === false) return (remote) => normalizeAddress(remote);
  let fn: (address: string, hop: number) => boolean;
  if (trust === true) fn = () => true;
  else if (typeof trust === 'number') fn = (_address, hop) => hop < trust;
  else if (typeof trust === 'function') fn = trust;
  else fn = proxyaddr.compile(typeof trust === 'string' ? trust.split(',').map((s) => s.trim()) : [...trust]);
  return (remote, headers) => {
    if (remote === undefined) return 'unknown';
    if (headers['x-forwarded-for'] === undefined) return normalizeAddress(remote);
    // proxy-addr reads only these two fields of a request.
    const req = { headers, socket: { remoteAddress: remote }, connection: { remoteAddress: remote } };
    try {
      return normalizeAddress(proxyaddr(req as never, fn));
    } catch {
      return normalizeAddress(remote);
    }
  };
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are the same peer; record the IPv4 form so they compare equal. */
export function normalizeAddress(address: string | undefined): string {
  if (address === undefined || address.length === 0) return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
