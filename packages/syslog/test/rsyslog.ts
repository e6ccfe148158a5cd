import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real rsyslog for tests: its own configuration, port, work directory and output file, started in
 * the foreground on 127.0.0.1 and stopped with SIGTERM. The test setup (scripts/test.mjs) installs
 * the Debian packages; when rsyslogd is missing the tests fail, they never skip.
 */

export interface Certificates {
  dir: string;
  ca: string;
  caKey: string;
  server: string;
  serverKey: string;
  client: string;
  clientKey: string;
  /** A server certificate from the same CA for another name only (DNS:elsewhere.example, no IP). */
  wrongNameServer: string;
  wrongNameServerKey: string;
  /** A second, unrelated CA and a client certificate it signed. */
  otherCa: string;
  otherClient: string;
  otherClientKey: string;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

/** A CA, a server certificate for localhost/127.0.0.1, a client certificate, and a second CA. */
export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'auditkit-certs-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const ca = (name: string): void => openssl(['req', '-x509', ...ec, '-keyout', `${name}-key.pem`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`], dir);
  const leaf = (name: string, signer: string, ext: string): void => {
    openssl(['req', ...ec, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.pem`, '-CAkey', `${signer}-key.pem`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`], dir);
  };
  ca('ca');
  ca('other-ca');
  leaf('server', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('wrong-name-server', 'ca', 'subjectAltName=DNS:elsewhere.example\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  leaf('other-client', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  const p = (f: string): string => join(dir, f);
  return {
    dir,
    ca: p('ca.pem'),
    caKey: p('ca-key.pem'),
    server: p('server.pem'),
    serverKey: p('server-key.pem'),
    wrongNameServer: p('wrong-name-server.pem'),
    wrongNameServerKey: p('wrong-name-server-key.pem'),
    client: p('client.pem'),
    clientKey: p('client-key.pem'),
    otherCa: p('other-ca.pem'),
    otherClient: p('other-client.pem'),
    otherClientKey: p('other-client-key.pem'),
  };
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface ParsedMessage {
  pri: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  structuredData: string;
  msg: string;
}

export interface RsyslogOptions {
  /** Listen on this port (default: a free one). */
  port?: number;
  protocol: 'tcp' | 'tls' | 'udp';
  certificates?: Certificates;
  /** x509/certvalid (mutual TLS, default for tls) or anon (server-only TLS: no client certificate asked for). */
  authMode?: 'x509/certvalid' | 'anon';
  /** TLS: present this certificate instead of `certificates.server` (e.g. one for the wrong name). */
  serverCert?: { cert: string; key: string };
}

export class Rsyslog {
  readonly dir: string;
  readonly port: number;
  readonly output: string;
  readonly #config: string;
  #child: ChildProcess | undefined;
  #stderr = '';

  private constructor(dir: string, port: number, config: string) {
    this.dir = dir;
    this.port = port;
    this.output = join(dir, 'out.log');
    this.#config = config;
  }

  /** Runs a configuration as given (after the caller substituted paths); it must write to `<dir>/out.log`. */
  static async startWithConfig(makeConfig: (dir: string, port: number) => string): Promise<Rsyslog> {
    const dir = mkdtempSync(join(tmpdir(), 'auditkit-rsyslog-'));
    const port = await freePort();
    const config = join(dir, 'rsyslog.conf');
    writeFileSync(config, `global(workDirectory="${dir}")\n` + makeConfig(dir, port));
    const r = new Rsyslog(dir, port, config);
    await r.#run();
    return r;
  }

  static async start(options: RsyslogOptions): Promise<Rsyslog> {
    if (!existsSync('/usr/sbin/rsyslogd')) throw new Error('rsyslogd is not installed: run the test setup (pnpm test) or apt-get install rsyslog rsyslog-openssl');
    const dir = mkdtempSync(join(tmpdir(), 'auditkit-rsyslog-'));
    const port = options.port ?? (await freePort());
    const tls = options.protocol === 'tls';
    const c = options.certificates;
    const lines = [
      // Audit records with bodies exceed rsyslog's 8k default; this must come before any input.
      'global(maxMessageSize="256k" workDirectory="' + dir + '"' +
        (tls && c
          ? ` defaultNetstreamDriver="ossl" defaultNetstreamDriverCAFile="${c.ca}" defaultNetstreamDriverCertFile="${options.serverCert?.cert ?? c.server}" defaultNetstreamDriverKeyFile="${options.serverCert?.key ?? c.serverKey}"`
          : '') +
        ')',
      // One worker keeps the output in arrival order, so the tests can check order.
      'main_queue(queue.workerThreads="1")',
      options.protocol === 'udp'
        ? `module(load="imudp")\ninput(type="imudp" port="${port}" address="127.0.0.1")`
        : tls
          ? `module(load="imtcp" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="${options.authMode ?? 'x509/certvalid'}")\ninput(type="imtcp" port="${port}" address="127.0.0.1")`
          : `module(load="imtcp")\ninput(type="imtcp" port="${port}" address="127.0.0.1")`,
      // What rsyslog parsed out of each message, tab-separated, so the tests check its reading, not ours.
      'template(name="fields" type="string" string="%pri%\\t%timereported:::date-rfc3339%\\t%hostname%\\t%app-name%\\t%procid%\\t%msgid%\\t%structured-data%\\t%msg%\\n")',
      `*.* action(type="omfile" file="${join(dir, 'out.log')}" template="fields" fileCreateMode="0600")`,
    ];
    const config = join(dir, 'rsyslog.conf');
    writeFileSync(config, lines.join('\n') + '\n');
    const r = new Rsyslog(dir, port, config);
    await r.#run();
    return r;
  }

  async #run(): Promise<void> {
    this.#stderr = '';
    const child = spawn('/usr/sbin/rsyslogd', ['-n', '-f', this.#config, '-i', join(this.dir, 'rsyslog.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (d) => (this.#stderr += d));
    child.stdout!.on('data', (d) => (this.#stderr += d));
    this.#child = child;
    const deadline = Date.now() + 10_000;
    // UDP has nothing to connect to; wait for the process to be up instead.
    for (;;) {
      if (child.exitCode !== null) throw new Error(`rsyslogd exited (${child.exitCode}): ${this.#stderr}`);
      if (this.#child && (await this.#listening())) return;
      if (Date.now() > deadline) throw new Error(`rsyslogd did not start listening on ${this.port}: ${this.#stderr}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  async #listening(): Promise<boolean> {
    if (this.#config && readFileSync(this.#config, 'utf8').includes('imudp')) {
      await new Promise((res) => setTimeout(res, 300));
      return true;
    }
    return new Promise((resolve) => {
      const s = net.connect(this.port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
  }

  /** SIGTERM, as a service manager stops it. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    this.#child = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.#run();
  }

  get log(): string {
    return this.#stderr;
  }

  /** Messages received so far, as rsyslog parsed them. */
  messages(): ParsedMessage[] {
    if (!existsSync(this.output)) return [];
    return readFileSync(this.output, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => {
        const [pri, timestamp, hostname, appName, procId, msgId, structuredData, ...rest] = l.split('\t');
        return { pri: Number(pri), timestamp: timestamp!, hostname: hostname!, appName: appName!, procId: procId!, msgId: msgId!, structuredData: structuredData!, msg: rest.join('\t') };
      });
  }

  /** The JSON records inside the messages (MSG, after the BOM). */
  records(): Array<Record<string, any>> {
    return this.messages().map((m) => JSON.parse(m.msg.replace(/^\ufeff/, '')));
  }
}
