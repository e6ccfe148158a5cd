import { closeSync, mkdirSync, openSync, write as fsWrite, close as fsClose } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AuditTransport } from './audit-transport.js';
import type { AuditRecord } from './record.js';

/**
 * JSON lines in one file, one record per line. Opened at construction (a file that cannot be opened
 * is a configuration error, not a silent loss later), created 0600 in a 0700 directory, and each
 * batch goes out in a single write that is acknowledged only after the kernel has taken all of it.
 */

export interface AuditFileOptions {
  /** Default `./log/audit.log`, relative to the working directory. */
  path?: string;
  /** Mode for a new file. Default 0o600: audit trails are for the service account and the auditors. */
  mode?: number;
}

export const DEFAULT_AUDIT_FILE = './log/audit.log';

export class AuditFileTransport extends AuditTransport {
  readonly path: string;
  readonly sinkName: string;
  #fd: number;

  constructor(options: AuditFileOptions = {}) {
    super({});
    this.path = resolve(options.path ?? DEFAULT_AUDIT_FILE);
    this.sinkName = 'file:' + this.path;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    this.#fd = openSync(this.path, 'a', options.mode ?? 0o600);
  }

  writeRecords(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    let text = '';
    for (const r of records) text += this.lineOf(r) + '\n';
    return writeAll(this.#fd, Buffer.from(text, 'utf8'));
  }

  protected closeSink(): Promise<void> {
    const fd = this.#fd;
    this.#fd = -1;
    return new Promise((resolveClose, reject) => {
      if (fd < 0) return resolveClose();
      fsClose(fd, (err) => (err ? reject(err) : resolveClose()));
    });
  }

  /** Closes synchronously; for process exit paths only. */
  closeNow(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }
}

/** write(2) may take less than asked (a full disk on the last block, a signal); finish the buffer. */
export function writeAll(fd: number, buffer: Buffer): Promise<void> {
  return new Promise((resolveWrite, reject) => {
    let offset = 0;
    const step = (): void => {
      fsWrite(fd, buffer, offset, buffer.length - offset, null, (err, written) => {
        if (err) return reject(err);
        offset += written;
        if (offset >= buffer.length) resolveWrite();
        else step();
      });
    };
    step();
  });
}
