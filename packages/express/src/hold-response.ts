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

  res.writeHead = function writeHead(this: ServerResponse, ...args: unknown[]) {
    if (state === 'released') return (original.writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    if (typeof args[0] === 'number') res.statusCode = args[0];
    queued.push(() => (original.writeHead as (...a: unknown[]) => ServerResponse).apply(res, args));
    start();
    return this;
  } as ServerResponse['writeHead'];
  res.write = function write(this: ServerResponse, ...args: unknown[]) {
    if (state === 'released') return (original.write as (...a: unknown[]) => boolean).apply(this, args);
    queued.push(() => void (original.write as (...a: unknown[]) => boolean).apply(res, args));
    start();
    return true;
  } as ServerResponse['write'];
  res.end = function end(this: ServerResponse, ...args: unknown[]) {
    if (state === 'released') return (original.end as (...a: unknown[]) => ServerResponse).apply(this, args);
    queued.push(() => void (original.end as (...a: unknown[]) => ServerResponse).apply(res, args));
    start();
    return this;
  } as ServerResponse['end'];
}
