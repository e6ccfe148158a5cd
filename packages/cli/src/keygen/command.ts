import type { CommandOutcome } from '../audit/outcome.js';
import type { Streams } from '../streams.js';
import { keygen } from './keygen.js';

export interface KeygenFlags {
  out?: string;
  name?: string;
  alg?: string;
  force?: boolean;
}

/** `auditkit keygen [--out dir] [--name audit-signing] [--alg ed25519|es256] [--force]` */
export async function keygenCommand(flags: KeygenFlags, io: Streams): Promise<CommandOutcome> {
  const alg = (flags.alg ?? 'ed25519').toLowerCase();
  if (alg !== 'ed25519' && alg !== 'es256') throw new Error('--alg must be ed25519 or es256');
  const result = await keygen({ out: flags.out ?? '.', name: flags.name ?? 'audit-signing', alg, force: flags.force === true });
  io.out.write(
    `private key: ${result.privateKeyFile} (keep it secret: file: { chain: { key: { file } } })\n` +
      `public key:  ${result.publicKeyFile} (give it to verifiers: auditkit verify --key)\n` +
      `kid: ${result.kid} (${result.alg})\n`,
  );
  // The key's id (its public thumbprint) says which key later checkpoints were signed with.
  return { exitCode: 0, meta: { kid: result.kid, alg: result.alg } };
}
