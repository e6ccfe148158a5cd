import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Smoke-runs an example's real entry point: starts `src/server.ts` in a fresh working directory on
 * a free port, waits for it to say where it listens, lets `exercise` send requests, stops it with
 * SIGTERM, and returns the audit records it left in ./log/audit.log.
 */
export async function smokeRunServer(
  serverFile: string,
  tsxLoader: string,
  exercise: (baseUrl: string) => Promise<void>,
): Promise<Array<Record<string, any>>> {
  const cwd = mkdtempSync(join(tmpdir(), 'auditkit-example-'));
  const child = spawn(process.execPath, ['--import', tsxLoader, serverFile], {
    cwd,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const baseUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no listening line from ${serverFile}: ${out}`)), 20_000);
      child.stdout!.on('data', (chunk) => {
        out += chunk;
        const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`${serverFile} exited early (${code}): ${out}`)));
    });
    await exercise(baseUrl);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  const text = readFileSync(join(cwd, 'log', 'audit.log'), 'utf8');
  return text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
