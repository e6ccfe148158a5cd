import { X509Certificate } from 'node:crypto';
import { createSocket, type Socket as DatagramSocket } from 'node:dgram';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { connect as tlsConnect, createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import {
  AuditTransport,
  describeValue,
  failOption,
  integerAt,
  isPlainObject,
  onlyKeys,
  stringAt,
  type AuditEntry,
} from '@auditkit/core';
import { ConfirmingStream } from './confirming-stream.js';
import { FACILITIES, formatMessage, frame, type FacilityName, type MessageSettings } from './rfc5424.js';

export interface SyslogOptions {
  /** `tls` (default: RFC 5425), `tcp` (RFC 6587 octet counting) or `udp` (RFC 5426; no delivery guarantee). */
  protocol?: 'tls' | 'tcp' | 'udp';
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 6514 for TLS, 514 otherwise. */
  port?: number;
  /** Default `authpriv` (10): audit records hold user names and addresses, and most systems keep authpriv readable by root only. */
  facility?: FacilityName | number;
  /** APP-NAME, the tag. Default `auditkit`. */
  appName?: string;
  /** HOSTNAME. Default: the record's `node`. */
  hostname?: string;
  /** SD-ID of the structured-data element. Default `auditkit@32473` (32473 is the documentation enterprise number: use your own). */
  sdId?: string;
  /** TLS: CA certificate(s) that sign the server's certificate (PEM). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** TLS: client certificate for mutual TLS (PEM). Requires `key`. */
  cert?: string | Buffer;
  /** TLS: client private key (PEM). */
  key?: string | Buffer;
  /** TLS: the name the server's certificate must carry. Default `host`. */
  servername?: string;
  /** TCP/TLS: `octet-counting` (default, RFC 5425) or `lf` (one message per line, for receivers without octet counting). */
  framing?: 'octet-counting' | 'lf';
  /** TCP/TLS: confirm (close cleanly) after this many ms without new records. Default 200. */
  idleConfirmMs?: number;
  /** TCP/TLS: confirm at least this often under load. Default 1000. */
  confirmIntervalMs?: number;
  /** TCP/TLS: how long the server may take to answer our close. Default 5000. */
  confirmTimeoutMs?: number;
  /** Default 5000. */
  connectTimeoutMs?: number;
  /** UDP: larger messages are not sent (and reported). Default 65000. */
  maxDatagramBytes?: number;
}

const KEYS = ['protocol', 'host', 'port', 'facility', 'appName', 'hostname', 'sdId', 'ca', 'cert', 'key', 'servername', 'framing', 'idleConfirmMs', 'confirmIntervalMs', 'confirmTimeoutMs', 'connectTimeoutMs', 'maxDatagramBytes'];

function isPem(v: unknown): boolean {
  return typeof v === 'string' || Buffer.isBuffer(v);
}

/**
 * RFC 5424 syslog over TLS, TCP or UDP, as a Winston transport. With TCP and TLS a batch counts as
 * written only once the server confirmed reading it (see ConfirmingStream); the pipeline spools
 * records to disk while the server is down and replays them in order when it is back.
 *
 * @example
 * new AuditSyslogTransport({ host: 'logs.internal', ca: readFileSync('ca.pem'), cert: readFileSync('client.pem'), key: readFileSync('client-key.pem') })
 */
export class AuditSyslogTransport extends AuditTransport {
  readonly sinkName: string;
  override readonly network = true;
  override readonly maxInFlightBatches: number;
  readonly protocol: 'tls' | 'tcp' | 'udp';
  readonly #message: MessageSettings;
  readonly #framing: 'octet-counting' | 'lf';
  readonly #stream: ConfirmingStream | undefined;
  readonly #udp: { socket: Promise<DatagramSocket>; max: number } | undefined;

  constructor(options: SyslogOptions = {}, optionPrefix = '') {
    super({});
    const o = options as Record<string, unknown>;
    const at = (k: string): string => (optionPrefix ? `${optionPrefix}.${k}` : k);
    if (!isPlainObject(o)) failOption(optionPrefix || 'AuditSyslogTransport', `must be an object, got ${describeValue(o)}`, 'pass { host, port, ca, cert, key }');
    onlyKeys(o, KEYS, optionPrefix);
    const protocol = (o.protocol ?? 'tls') as 'tls' | 'tcp' | 'udp';
    if (!['tls', 'tcp', 'udp'].includes(protocol)) failOption(at('protocol'), `must be "tls", "tcp" or "udp", got ${describeValue(o.protocol)}`, 'use "tls" for audit trails');
    this.protocol = protocol;
    const host = stringAt(o.host, at('host'), '127.0.0.1', 'logs.example.com');
    const port = integerAt(o.port, at('port'), protocol === 'tls' ? 6514 : 514, 1, 65535);
    let facility: number;
    if (o.facility === undefined) facility = FACILITIES.authpriv;
    else if (typeof o.facility === 'string' && o.facility in FACILITIES) facility = FACILITIES[o.facility as FacilityName];
    else if (typeof o.facility === 'number' && Number.isInteger(o.facility) && o.facility >= 0 && o.facility <= 23) facility = o.facility;
    else failOption(at('facility'), `must be a facility name (${Object.keys(FACILITIES).join(', ')}) or 0-23, got ${describeValue(o.facility)}`, 'use "authpriv" or "auth"');
    const appName = stringAt(o.appName, at('appName'), 'auditkit', 'auditkit');
    if (!/^[\x21-\x7e]{1,48}$/.test(appName)) failOption(at('appName'), `must be 1-48 printable ASCII characters without spaces, got ${describeValue(appName)}`, 'use a short tag such as "billing-api"');
    const sdId = stringAt(o.sdId, at('sdId'), 'auditkit@32473', 'audit@12345');
    if (!/^[\x21-\x7e]{1,32}$/.test(sdId) || /[= \]"]/.test(sdId) || !sdId.includes('@')) {
      failOption(at('sdId'), `must be name@enterprise-number, at most 32 characters without = ] " or spaces, got ${describeValue(sdId)}`, 'use your organisation\'s IANA enterprise number, e.g. "audit@12345"');
    }
    const hostnameValue = o.hostname === undefined ? undefined : stringAt(o.hostname, at('hostname'), osHostname(), 'api-1');
    this.#message = { facility, appName, procId: String(process.pid), hostname: hostnameValue, sdId };
    const framing = (o.framing ?? 'octet-counting') as 'octet-counting' | 'lf';
    if (framing !== 'octet-counting' && framing !== 'lf') failOption(at('framing'), `must be "octet-counting" or "lf", got ${describeValue(o.framing)}`, 'keep the default unless your receiver cannot count octets');
    this.#framing = framing;
    const connectTimeoutMs = integerAt(o.connectTimeoutMs, at('connectTimeoutMs'), 5000, 10, 600_000);

    if (protocol !== 'tls') {
      for (const k of ['ca', 'cert', 'key', 'servername']) {
        if (o[k] !== undefined) failOption(at(k), `only applies to protocol "tls"`, 'remove it, or set protocol: "tls"');
      }
    } else {
      if (o.ca !== undefined && !(isPem(o.ca) || (Array.isArray(o.ca) && o.ca.every(isPem)))) failOption(at('ca'), 'must be PEM text or a Buffer (or a list of them)', "read it with fs.readFileSync('ca.pem')");
      if ((o.cert === undefined) !== (o.key === undefined)) failOption(at(o.cert === undefined ? 'cert' : 'key'), 'mutual TLS needs both cert and key', 'give both the client certificate and its private key');
      if (o.cert !== undefined && (!isPem(o.cert) || !isPem(o.key))) failOption(at('cert'), 'cert and key must be PEM text or Buffers', "read them with fs.readFileSync('client.pem')");
    }

    this.sinkName = `syslog:${protocol}://${host}:${port}`;
    if (protocol === 'udp') {
      this.maxInFlightBatches = 1;
      const max = integerAt(o.maxDatagramBytes, at('maxDatagramBytes'), 65_000, 480, 65_507);
      this.#udp = { socket: openDatagram(host, port, connectTimeoutMs), max };
      this.#udp.socket.catch(() => undefined);
      return;
    }
    // Many batches may be in flight between two confirmations.
    this.maxInFlightBatches = 100_000;
    const servername = o.servername === undefined ? undefined : stringAt(o.servername, at('servername'), '', 'logs.example.com');
    const secureContext = protocol === 'tls' ? loadSecureContext(o, at) : undefined;
    const open = (): Promise<Socket> =>
      secureContext
        ? connectSocket(
            () =>
              tlsConnect({
                host,
                port,
                secureContext,
                // SNI cannot carry an IP address. Node checks the certificate against `servername` when
                // given, else `host` (an IP address against the certificate's IP entries): its own
                // check, untouched, because `checkServerIdentity: undefined` would replace it.
                servername: servername ?? (isIP(host) ? undefined : host),
                rejectUnauthorized: true,
              }),
            'secureConnect',
            connectTimeoutMs,
          )
        : connectSocket(() => netConnect({ host, port }), 'connect', connectTimeoutMs);
    this.#stream = new ConfirmingStream(open, {
      idleMs: integerAt(o.idleConfirmMs, at('idleConfirmMs'), 200, 1, 600_000),
      intervalMs: integerAt(o.confirmIntervalMs, at('confirmIntervalMs'), 1000, 10, 3_600_000),
      timeoutMs: integerAt(o.confirmTimeoutMs, at('confirmTimeoutMs'), 5000, 10, 600_000),
    });
  }

  /** TCP/TLS connections opened so far (each confirmation closes one). */
  get connections(): number {
    return this.#stream?.connections ?? 0;
  }

  async writeEntries(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const messages = entries.map((e) => formatMessage(e.head, e.line, this.#message));
    if (this.#udp) return this.#sendDatagrams(messages);
    const text = this.#framing === 'lf' ? messages.map((m) => m + '\n').join('') : messages.map(frame).join('');
    await this.#stream!.send(Buffer.from(text, 'utf8'));
  }

  protected async closeSink(): Promise<void> {
    if (this.#stream) await this.#stream.close();
    if (this.#udp) {
      const socket = await this.#udp.socket.catch(() => undefined);
      socket?.close();
    }
  }

  async #sendDatagrams(messages: string[]): Promise<void> {
    const { socket: pending, max } = this.#udp!;
    const socket = await pending;
    for (const m of messages) {
      const data = Buffer.from(m, 'utf8');
      if (data.length > max) {
        this.emit('warn', new Error(`a ${data.length}-byte record is larger than maxDatagramBytes (${max}) and was not sent over UDP`));
        continue;
      }
      await new Promise<void>((resolve, reject) => socket.send(data, (err) => (err ? reject(err) : resolve())));
    }
  }
}

/**
 * The CA, certificate and key are parsed once, here, not on every reconnect (a confirmation reconnects
 * up to once a second), and a PEM OpenSSL cannot read is a construction error naming the option.
 */
function loadSecureContext(o: Record<string, unknown>, at: (k: string) => string): SecureContext {
  const ca = o.ca as SecureContextOptions['ca'];
  if (ca !== undefined) {
    // OpenSSL skips what it cannot parse in a CA bundle, and every connection would then fail to verify.
    for (const pem of (Array.isArray(ca) ? ca : [ca]).map(String)) {
      const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
      try {
        if (blocks.length === 0) throw new Error('no "BEGIN CERTIFICATE" block');
        for (const b of blocks) new X509Certificate(b);
      } catch (err) {
        failOption(at('ca'), `cannot be read as PEM certificates (${(err as Error).message})`, "pass the CA certificate's PEM text, e.g. fs.readFileSync('ca.pem')");
      }
    }
  }
  try {
    return createSecureContext({ ca, cert: o.cert as string | undefined, key: o.key as string | undefined, minVersion: 'TLSv1.2' });
  } catch (err) {
    return failOption(at('cert'), `cert and key cannot be used together (${(err as Error).message})`, 'pass the client certificate and its own private key, both PEM');
  }
}

function connectSocket(make: () => Socket, readyEvent: 'connect' | 'secureConnect', timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = make();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`could not connect within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once(readyEvent, () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      socket.setNoDelay(true);
      resolve(socket);
    });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
  });
}

function openDatagram(host: string, port: number, timeoutMs: number): Promise<DatagramSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    const timer = setTimeout(() => reject(new Error(`could not resolve ${host} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.connect(port, host, () => {
      clearTimeout(timer);
      socket.unref();
      resolve(socket);
    });
  });
}
