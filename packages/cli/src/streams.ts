/** Where a command writes: the process's stdout and stderr, or a test's buffers. */
export interface Streams {
  out: { write(s: string): unknown };
  err: { write(s: string): unknown };
}
