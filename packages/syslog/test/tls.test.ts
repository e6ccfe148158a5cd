import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { before, describe, it } from 'node:test';
import { AuditConfigError } from '@auditkit/core';
import { AuditSyslogTransport, type SyslogOptions } from '../src/index.js';
import { auditedApp, spoolDir, until } from './helpers.js';
import { makeCertificates, Rsyslog, type Certificates } from './rsyslog.js';

/**
 * TLS as users configure it, against a real rsyslog: with and without `servername`, with and without a
 * client certificate. By default the server's certificate is checked against `host` exactly as Node's
 * own tls.connect checks it; each case also asks plain tls.connect, and both must agree.
 */

let certs: Certificates;
before(() => {
  certs = makeCertificates();
});

const fast = { idleConfirmMs: 30, confirmIntervalMs: 250, confirmTimeoutMs: 1500, connectTimeoutMs: 1000 };

interface Case {
  name: string;
  /** rsyslog: `x509/certvalid` asks for a client certificate, `anon` does not. */
  authMode: 'x509/certvalid' | 'anon';
  wrongNameCert?: boolean;
  host: string;
  servername?: string;
  clientCert: boolean;
  /** undefined: delivered; otherwise Node's error code and the start of its reason. */
  refused?: { code: string; reason: string };
}

const cases: Case[] = [
  { name: 'no servername, host "localhost", client certificate (the README example)', authMode: 'x509/certvalid', host: 'localhost', clientCert: true },
  { name: 'no servername, host "127.0.0.1" matched against the certificate\'s IP entry, client certificate', authMode: 'x509/certvalid', host: '127.0.0.1', clientCert: true },
  { name: 'no servername, host "localhost", no client certificate (server-only TLS)', authMode: 'anon', host: 'localhost', clientCert: false },
  { name: 'servername "localhost" with host "127.0.0.1", no client certificate', authMode: 'anon', host: '127.0.0.1', servername: 'localhost', clientCert: false },
  {
    name: 'no servername, host "localhost", the server presents a certificate for elsewhere.example: refused',
    authMode: 'anon',
    wrongNameCert: true,
    host: 'localhost',
    clientCert: false,
    refused: { code: 'ERR_TLS_CERT_ALTNAME_INVALID', reason: "Hostname/IP does not match certificate's altnames: Host: localhost. is not in the cert's altnames: DNS:elsewhere.example" },
  },
  {
    name: 'no servername, host "127.0.0.1", a certificate without that IP: refused, with a client certificate too',
    authMode: 'x509/certvalid',
    wrongNameCert: true,
    host: '127.0.0.1',
    clientCert: true,
    refused: { code: 'ERR_TLS_CERT_ALTNAME_INVALID', reason: "Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list" },
  },
  { name: 'servername "elsewhere.example" names the certificate although host is "localhost"', authMode: 'anon', wrongNameCert: true, host: 'localhost', servername: 'elsewhere.example', clientCert: false },
];

/** What Node's own tls.connect makes of the same settings: undefined when it accepts the server. */
function nodeVerdict(c: Case, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({
      host: c.host,
      port,
      ca: readFileSync(certs.ca),
      ...(c.clientCert ? { cert: readFileSync(certs.client), key: readFileSync(certs.clientKey) } : {}),
      ...(c.servername ? { servername: c.servername } : {}),
    });
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      resolve(err.code ?? err.message);
    });
  });
}

describe('syslog over TLS: the server name and client certificates', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const rs = await Rsyslog.start({
        protocol: 'tls',
        certificates: certs,
        authMode: c.authMode,
        ...(c.wrongNameCert ? { serverCert: { cert: certs.wrongNameServer, key: certs.wrongNameServerKey } } : {}),
      });
      const options: SyslogOptions = {
        protocol: 'tls',
        host: c.host,
        port: rs.port,
        ca: readFileSync(certs.ca),
        ...(c.clientCert ? { cert: readFileSync(certs.client), key: readFileSync(certs.clientKey) } : {}),
        ...(c.servername ? { servername: c.servername } : {}),
        ...fast,
      };
      const app = await auditedApp({ sinks: [new AuditSyslogTransport(options)], spool: { dir: spoolDir() }, queue: { retryMs: 100, retryMaxMs: 200 } });
      let node: string | undefined;
      try {
        node = await nodeVerdict(c, rs.port);
        for (let n = 1; n <= 3; n++) assert.equal(await app.post(n), 201);
        if (c.refused) await until(() => app.faults.length > 0 && app.sink().spooled === 3, 5000, 'the refusal');
        else await until(() => app.sink().written === 3, 5000, 'three confirmed records');
      } finally {
        await app.close(500);
        await rs.stop();
      }
      assert.equal(node, c.refused?.code, "Node's own tls.connect decides the same");
      if (c.refused) {
        const cause = app.faults[0]!.cause as NodeJS.ErrnoException;
        assert.equal(cause.code, c.refused.code);
        assert.ok(cause.message.startsWith(c.refused.reason), cause.message);
        assert.equal(rs.messages().length, 0, 'nothing reached the server');
        assert.equal(app.sink().spooled, 3, 'the records wait in the spool for a server that proves its name');
      } else {
        assert.deepEqual(
          rs.records().map((r) => r.bindings.n),
          ['1', '2', '3'],
        );
        assert.equal(app.faults.length, 0, app.faults.map((f) => f.message).join('\n'));
      }
    });
  }

  it('a CA, certificate or key that cannot be read fails at construction, naming the option', () => {
    const pem = (f: string): Buffer => readFileSync(f);
    const bad: Array<[SyslogOptions, RegExp]> = [
      [{ ca: '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n' }, /options\.ca: cannot be read as PEM certificates/],
      [{ ca: pem(certs.ca), cert: pem(certs.client), key: pem(certs.serverKey) }, /options\.cert: cert and key cannot be used together \(.*key values mismatch/],
      [{ ca: pem(certs.ca), cert: pem(certs.client), key: 'not a key' }, /options\.cert: cert and key cannot be used together/],
    ];
    for (const [options, message] of bad) {
      assert.throws(() => new AuditSyslogTransport({ protocol: 'tls', ...options }), (err: unknown) => err instanceof AuditConfigError && message.test(err.message), String(message));
    }
  });
});
