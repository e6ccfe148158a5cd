import type { ServerResponse } from 'node:http';

/**
 * Holds an Express response until its audit record is written (blocking and strict sinks). Express has
 * no hook between "the handler has answered" and "the bytes go out", so, as the compression middleware
 * does, the response's writeHead/write/end are wrapped on this one response: the first call starts
 * `audit(status)`, calls are queued, and when it settles they are replayed, or, on refusal, replaced
 * by `refuse()`. Nothing else about the response changes.
 */
export function holdResponse(res: ServerResponse, audit: (status: number) => Promise<boolean>, refuse: (res: ServerResponse) => void): void {
  const original = { writeHead: res.writeHead, write: res.write, end: res.end };
  const queued: Array<() => void> = [];
  let state: 'open' | 'waiting' | 'released' = 'open';

  const restore = (): void => {
    res.writeHead = original.writeHead;
    res.write = original.write;
    res.end = original.end;
    state = 'released';
  };
  const start = (): void => {
    if (state !== 'open') return;
    state = 'waiting';
    audit(res.statusCode).then(
      (send) => {
        restore();
        if (send) for (const call of queued) call();
        else refuse(res);
      },
      () => {
        restore();
        for (const call of queued) call();
      },
    );
  };

  /** Wraps one of the response's output methods: while held, the call is queued and `held` answers it. */
  const hold = (name: 'writeHead' | 'write' | 'end', held: (self: ServerResponse) => unknown, onHeld?: (args: unknown[]) => void): void => {
    const wrapped = original[name] as (...a: unknown[]) => unknown;
    (res as unknown as Record<string, unknown>)[name] = function (this: ServerResponse, ...args: unknown[]) {
      if (state === 'released') return wrapped.apply(this, args);
      onHeld?.(args);
      queued.push(() => void wrapped.apply(res, args));
      start();
      return held(this);
    };
  };
  // writeHead(status) sets the status the record will carry, as the real call would have.
  hold('writeHead', (self) => self, (args) => {
    if (typeof args[0] === 'number') res.statusCode = args[0];
  });
  hold('write', () => true);
  hold('end', (self) => self);
}
