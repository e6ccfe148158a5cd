import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { AuditEntry, AuditFileTransport, AuditConfigError, verifyAuditLog } from '@auditkit/core';
import { AuditSyslogTransport, type SyslogOptions } from '../src/index.js';
import { freePort, makeCertificates, Rsyslog, type Certificates } from './rsyslog.js';
import { auditedApp, checkDelivery, spoolDir, until } from './helpers.js';

/**
 * Every test talks to a real rsyslog on 127.0.0.1, started and stopped by the test.
 */

let certs: Certificates;
before(() => {
  certs = makeCertificates();
});

function tlsOptions(c: Certificates, overrides: Partial<SyslogOptions> = {}): SyslogOptions {
  return { protocol: 'tls', ca: readFileSync(c.ca), cert: readFileSync(c.client), key: readFileSync(c.clientKey), servername: 'localhost', ...overrides };
}

const fast = { idleConfirmMs: 30, confirmIntervalMs: 250, confirmTimeoutMs: 1500, connectTimeoutMs: 1000 };

describe('syslog: what rsyslog receives', () => {
  it('RFC 5424: PRI from facility and level, APP-NAME, PROCID, MSGID, structured data, BOM and the record as JSON', async () => {
    const rs = await Rsyslog.start({ protocol: 'tcp' });
    const app = await auditedApp({ sinks: [new AuditSyslogTransport({ protocol: 'tcp', port: rs.port, facility: 'auth', appName: 'billing-api', sdId: 'audit@12345', ...fast })] });
    try {
      assert.equal(await app.post(7), 201);
      const res = await fetch(`${app.url}/nowhere"]\\`, { method: 'POST', headers: { authorization: 'Basic ' + Buffer.from('o"ne]\\:pw').toString('base64') } });
      assert.equal(res.status, 404);
      await until(() => rs.messages().length === 2, 5000, 'two messages');
    } finally {
      await app.close();
      await rs.stop();
    }
    const [ok, failed] = rs.messages();
    assert.equal(ok!.pri, 4 * 8 + 6, 'auth facility, informational');
    assert.equal(failed!.pri, 4 * 8 + 4, 'a failure is a warning');
    assert.equal(ok!.appName, 'billing-api');
    assert.equal(ok!.procId, String(process.pid));
    assert.equal(ok!.msgId, 'request');
    assert.equal(ok!.hostname, 'syslog-test');
    const record = JSON.parse(ok!.msg.replace(/^\ufeff/, ''));
    assert.ok(ok!.msg.startsWith('\ufeff'), 'MSG starts with the BOM: it is UTF-8');
    assert.equal(record.operation_id, '/items/:n');
    assert.equal(new Date(ok!.timestamp).getTime(), Math.floor(record.time / 1000), 'TIMESTAMP is the record time');
    assert.match(ok!.structuredData, new RegExp(`^\\[audit@12345 id="${record.id}" event="request" request_id="[^"]+" source="-" source_ip="127.0.0.1" operation_id="/items/:n" method="post" status="201" result="success"\\]$`));
    assert.ok(failed!.structuredData.includes('source="o\\"ne\\]\\\\"'), `escaped SD values: ${failed!.structuredData}`);
  });

  for (const protocol of ['udp', 'tcp', 'tls'] as const) {
    it(`${protocol}: 2,000 concurrent records arrive intact and in the order they were made`, async () => {
      const rs = await Rsyslog.start({ protocol, certificates: certs });
      const file = join(spoolDir(), 'audit.log');
      const options = protocol === 'tls' ? tlsOptions(certs, { port: rs.port, ...fast }) : { protocol, port: rs.port, ...fast };
      const app = await auditedApp({ sinks: [new AuditFileTransport({ path: file }), new AuditSyslogTransport(options)], spool: { dir: spoolDir() } });
      const total = 2000;
      try {
        for (let i = 0; i < total; i += 50) {
          const statuses = await Promise.all(Array.from({ length: 50 }, (_, k) => app.post(i + k + 1)));
          assert.ok(statuses.every((s) => s === 201));
        }
        await until(() => rs.messages().length >= total, 15_000, `${total} messages in rsyslog`);
      } finally {
        await app.close();
        await rs.stop();
      }
      const fromFile = readFileSync(file, 'utf8').trim().split('\n');
      const received = rs.records();
      assert.equal(received.length, total, 'no duplicates without an outage');
      // Intact: byte for byte the line the file sink wrote; in order: the same sequence.
      assert.deepEqual(received.map((r) => JSON.stringify(r)), fromFile);
    });
  }
});

describe('syslog over mutual TLS', () => {
  const refused = async (overrides: Partial<SyslogOptions>, expected: RegExp): Promise<void> => {
    const rs = await Rsyslog.start({ protocol: 'tls', certificates: certs });
    const app = await auditedApp({
      sinks: [new AuditSyslogTransport(tlsOptions(certs, { port: rs.port, ...fast, ...overrides }))],
      spool: { dir: spoolDir() },
      queue: { retryMs: 100, retryMaxMs: 200 },
    });
    try {
      for (let n = 1; n <= 5; n++) assert.equal(await app.post(n), 201, 'the app is unaffected');
      await until(() => app.faults.length > 0 && app.sink().spooled === 5, 5000, 'the refusal');
      assert.match(String((app.faults[0]!.cause as Error)?.message ?? app.faults[0]!.message), expected);
    } finally {
      await app.close(500);
      await rs.stop();
    }
    assert.equal(rs.messages().length, 0, 'nothing reached the server');
  };

  it('a client that trusts another CA refuses the server', () => refused({ ca: readFileSync(certs.otherCa) }, /self.signed|unable to verify|certificate/i));
  it('the server refuses a client certificate from another CA', () =>
    refused({ cert: readFileSync(certs.otherClient), key: readFileSync(certs.otherClientKey) }, /closed|reset|alert|unknown ca|certificate|confirm|socket/i));
  it('the server refuses a client without a certificate', async () => {
    const rs = await Rsyslog.start({ protocol: 'tls', certificates: certs });
    const app = await auditedApp({ sinks: [new AuditSyslogTransport({ protocol: 'tls', port: rs.port, ca: readFileSync(certs.ca), servername: 'localhost', ...fast })], spool: { dir: spoolDir() } });
    try {
      await app.post(1);
      await until(() => app.faults.length > 0, 5000, 'the refusal');
    } finally {
      await app.close(500);
      await rs.stop();
    }
    assert.equal(rs.messages().length, 0);
  });
  it('a server name that does not match the certificate is refused', () => refused({ servername: 'elsewhere.example' }, /altnames|does not match|Hostname/i));
});

describe('the documented rsyslog configuration', () => {
  it('docs/syslog.md: its mutual-TLS receiver works as printed', async () => {
    const doc = readFileSync(new URL('../../../docs/syslog.md', import.meta.url), 'utf8');
    const block = /## rsyslog with mutual TLS[\s\S]*?```\n([\s\S]*?)```/.exec(doc)![1]!;
    const rs = await Rsyslog.startWithConfig((dir, port) =>
      block
        .replaceAll('/etc/rsyslog/tls/ca.pem', certs.ca)
        .replaceAll('/etc/rsyslog/tls/server.pem', certs.server)
        .replaceAll('/etc/rsyslog/tls/server-key.pem', certs.serverKey)
        .replaceAll('/var/log/auditkit/audit.log', join(dir, 'documented.log'))
        .replace('port="6514"', `port="${port}" address="127.0.0.1"`),
    );
    const app = await auditedApp({ sinks: [new AuditSyslogTransport(tlsOptions(certs, { port: rs.port, ...fast }))] });
    try {
      assert.equal(await app.post(1), 201);
      await until(() => app.sink().written === 1, 5000, 'the confirmation');
    } finally {
      await app.close();
      await rs.stop();
    }
    const line = readFileSync(join(rs.dir, 'documented.log'), 'utf8');
    assert.match(line, /^<86>1 \S+ syslog-test auditkit \d+ request \[auditkit@32473 id="/);
    assert.ok(line.includes('"operation_id":"/items/:n"'));
  });
});

describe('checkpoints shipped to syslog (docs/tamper-evidence.md)', () => {
  it('every checkpoint the chained file makes also reaches rsyslog, as the docs show', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const keys = generateKeyPairSync('ed25519');
    const rs = await Rsyslog.start({ protocol: 'tcp' });
    const file = new AuditFileTransport({ path: join(spoolDir(), 'audit.log'), chain: { key: keys.privateKey, checkpointEvery: 10 } });
    const syslog = new AuditSyslogTransport({ protocol: 'tcp', port: rs.port, ...fast });
    const shipped: Array<Promise<void>> = [];
    file.on('checkpoint', ({ line }: { line: string }) => shipped.push(syslog.writeEntries([AuditEntry.fromLine(line)]).catch(() => undefined)));
    const app = await auditedApp({ sinks: [file, syslog] });
    try {
      for (let n = 1; n <= 25; n++) await app.post(n);
    } finally {
      await app.close();
      await Promise.all(shipped);
      await rs.stop();
    }
    const checkpoints = rs.records().filter((r) => r.event === 'audit.checkpoint');
    const inFile = readFileSync(file.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.event === 'audit.checkpoint');
    assert.ok(inFile.length >= 2, `${inFile.length} checkpoints in the file`);
    assert.deepEqual(checkpoints.map((c) => c.checkpoint), inFile.map((c) => c.checkpoint), 'the same JWS in both places');

    // What rsyslog wrote is the external copy `auditkit verify --anchors` checks the file against.
    const intact = await verifyAuditLog([file.path], { key: keys.publicKey, anchors: [rs.output] });
    assert.deepEqual(intact.problems, []);
    assert.deepEqual([intact.anchors!.checkpoints, intact.anchors!.matched], [inFile.length, inFile.length]);
    // The end cut off (the last records and the final checkpoint): the file alone still looks whole.
    const lines = readFileSync(file.path, 'utf8').trim().split('\n');
    writeFileSync(file.path, lines.slice(0, -3).join('\n') + '\n');
    assert.equal((await verifyAuditLog([file.path], { key: keys.publicKey })).ok, true);
    const cut = await verifyAuditLog([file.path], { key: keys.publicKey, anchors: [rs.output] });
    assert.deepEqual(
      cut.problems.filter((p) => p.severity === 'error').map((p) => [p.kind, p.seq, p.seqEnd]),
      [['truncated', lines.length - 2, lines.length]],
    );
  });
});

describe('syslog faults', () => {
  for (const protocol of ['tcp', 'tls'] as const) {
    it(`${protocol}: rsyslog stopped and restarted mid-stream: nothing lost, in order, the spooled gap replayed exactly once`, async (t) => {
      const rs = await Rsyslog.start({ protocol, certificates: certs });
      const options = protocol === 'tls' ? tlsOptions(certs, { port: rs.port, ...fast }) : { protocol, port: rs.port, ...fast };
      const app = await auditedApp({ sinks: [new AuditSyslogTransport(options)], spool: { dir: spoolDir() }, queue: { retryMs: 50, retryMaxMs: 300 } });
      const total = 1500;
      let maxSpooled = 0;
      try {
        for (let n = 1; n <= total; n++) {
          assert.equal(await app.post(n), 201);
          if (n === 500) await rs.stop();
          if (n === 1000) await rs.restart();
          maxSpooled = Math.max(maxSpooled, app.sink().spooled);
        }
        await until(() => app.sink().written >= total && app.sink().spooled === 0 && app.sink().queued === 0, 30_000, 'the spool to drain');
      } finally {
        await app.close();
        await rs.stop();
      }
      const records = rs.records();
      const { duplicates } = checkDelivery(records, total);
      const counts = new Map<number, number>();
      for (const r of records) counts.set(Number(r.bindings.n), (counts.get(Number(r.bindings.n)) ?? 0) + 1);
      const duplicated = [...counts].filter(([, c]) => c > 1).map(([n]) => n);
      t.diagnostic(`${total} records, ${maxSpooled} spooled at peak, ${duplicates} duplicates (n ${duplicated[0] ?? '-'}..${duplicated.at(-1) ?? '-'}), ${app.sink().errors} failed attempts`);
      assert.ok(maxSpooled >= 400, 'the outage went to the spool');
      assert.ok(duplicated.every((n) => n <= 500), 'only records sent just before the stop, unconfirmed, were sent twice');
      assert.ok(app.faults.some((f) => f.code === 'AUDITKIT_SINK_FAILED'));
      assert.equal(app.sink().dropped, 0);
    });
  }

  it('a peer that accepts and never reads: requests are not slowed, records wait in the spool, then reach the real server', async (t) => {
    const port = await freePort();
    const held: net.Socket[] = [];
    const hung = net.createServer((s) => {
      s.pause();
      held.push(s);
    });
    hung.listen(port, '127.0.0.1');
    await once(hung, 'listening');
    const app = await auditedApp({
      sinks: [new AuditSyslogTransport({ protocol: 'tcp', port, idleConfirmMs: 30, confirmIntervalMs: 200, confirmTimeoutMs: 400, connectTimeoutMs: 500 })],
      spool: { dir: spoolDir() },
      queue: { retryMs: 100, retryMaxMs: 300 },
    });
    let rs: Rsyslog | undefined;
    const total = 300;
    let slowest = 0;
    try {
      for (let n = 1; n <= total; n++) {
        const started = performance.now();
        assert.equal(await app.post(n), 201);
        slowest = Math.max(slowest, performance.now() - started);
      }
      await until(() => app.sink().spooled === total, 10_000, 'every record in the spool');
      for (const s of held) s.destroy();
      await new Promise((r) => hung.close(r));
      rs = await Rsyslog.start({ protocol: 'tcp', port });
      await until(() => app.sink().spooled === 0 && app.sink().written >= total, 20_000, 'the replay');
    } finally {
      await app.close();
      await rs?.stop();
    }
    const { duplicates } = checkDelivery(rs!.records(), total);
    t.diagnostic(`slowest request ${slowest.toFixed(1)} ms while the peer hung; duplicates after replay ${duplicates}`);
    assert.ok(slowest < 300, 'no request waited for the hung peer (its confirmation timeout is 400 ms)');
    assert.equal(duplicates, 0, 'the hung peer read nothing, so nothing arrives twice');
  });

  it('a process killed with a non-empty spool: the next process replays it, exactly once', async () => {
    const port = await freePort();
    const dir = spoolDir();
    const child = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures/spool-child.ts');
    const run = (mode: string) => spawn(process.execPath, ['--import', 'tsx', child, mode, String(port), dir, '200'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const fill = run('fill');
    let out = '';
    fill.stdout.on('data', (d) => (out += d));
    await until(() => out.includes('spooled 200'), 30_000, 'the first process to spool');
    fill.kill('SIGKILL');
    await once(fill, 'exit');
    const rs = await Rsyslog.start({ protocol: 'tcp', port });
    try {
      const drain = run('drain');
      let drained = '';
      drain.stdout.on('data', (d) => (drained += d));
      const [code] = await once(drain, 'exit');
      assert.equal(code, 0);
      assert.match(drained, /found 200/);
      await until(() => rs.messages().length >= 200, 5000, '200 messages');
    } finally {
      await rs.stop();
    }
    const { duplicates } = checkDelivery(rs.records(), 200);
    assert.equal(duplicates, 0);
  });

  it('a full spool drops, counts, and says so in the trail once there is room', async () => {
    const port = await freePort();
    const app = await auditedApp({
      sinks: [{ transport: new AuditSyslogTransport({ protocol: 'tcp', port, ...fast, connectTimeoutMs: 200 }), spool: { dir: spoolDir(), maxBytes: 64 * 1024 } }],
      queue: { retryMs: 100, retryMaxMs: 200 },
    });
    let rs: Rsyslog | undefined;
    try {
      for (let n = 1; n <= 200; n++) await app.post(n);
      await until(() => app.sink().dropped > 0 && app.sink().queued === 0, 5000, 'drops');
      assert.ok(app.faults.some((f) => f.code === 'AUDITKIT_RECORDS_DROPPED'));
      rs = await Rsyslog.start({ protocol: 'tcp', port });
      await until(() => app.sink().spooled === 0 && app.sink().written === app.sink().accepted, 20_000, 'the replay and the notice');
      await until(() => rs!.messages().length >= app.sink().written, 5000, 'rsyslog to write them');
    } finally {
      await app.close();
      await rs?.stop();
    }
    const received = rs!.records();
    const requests = received.filter((r) => r.event === 'request');
    const notices = received.filter((r) => r.event === 'audit.records_dropped');
    assert.ok(notices.length >= 1 && notices.every((n) => n.reason === 'spool_full'));
    const noticed = notices.reduce((n, r) => n + r.dropped, 0);
    assert.equal(noticed, app.sink().dropped, 'the trail says how many were dropped');
    assert.equal(requests.length + noticed, 200, 'every record arrived or is counted in the trail');
  });
});

describe('syslog options', () => {
  it('are checked at construction', () => {
    const bad: Array<[SyslogOptions, RegExp]> = [
      [{ protocol: 'http' as 'tcp' }, /protocol: must be "tls", "tcp" or "udp"/],
      [{ facility: 'security' as 'auth' }, /facility: must be a facility name/],
      [{ protocol: 'tcp', ca: 'x' }, /ca: only applies to protocol "tls"/],
      [{ cert: 'x' }, /key: mutual TLS needs both cert and key/],
      [{ sdId: 'no-enterprise' }, /sdId: must be name@enterprise-number/],
      [{ appName: 'has space' }, /appName: must be 1-48 printable/],
      [{ port: 70000 }, /port: must be a whole number/],
      [{ hots: 'x' } as SyslogOptions, /did you mean host\?/],
    ];
    for (const [options, message] of bad) {
      assert.throws(() => new AuditSyslogTransport(options), (err: unknown) => err instanceof AuditConfigError && message.test(err.message), String(message));
    }
  });
});

