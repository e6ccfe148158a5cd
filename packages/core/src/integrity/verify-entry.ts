import type { CheckpointPayload } from './chain.js';
import type { Problem } from './verify.js';

/** One chained line as the verifier keeps it: its header, where it is, and what was found about it. */
export interface Entry {
  chain: string;
  seq: number;
  prev: string;
  hash: string;
  /** The line matches its hash. */
  ok: boolean;
  kind: 'record' | 'checkpoint' | 'start';
  file: string;
  line: number;
  firstInFile: boolean;
  lastInFile: boolean;
  /** The line itself, kept only for checkpoints and chain starts, which are parsed further. */
  raw: Buffer | undefined;
  /** For a checkpoint, once checked: whether it holds (signature, place), its JWS digest and payload. */
  cp: { valid: boolean; digest: string; payload: CheckpointPayload | undefined } | undefined;
}

export type Report = (p: Omit<Problem, 'severity'>) => void;
