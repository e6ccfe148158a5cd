import type { AuditHandle } from './context.js';

/**
 * The `audit` handle of a request auditkit's middleware never saw (it was mounted after the route).
 * The types promise handlers a handle, so they get one that records nothing and says so through
 * `report` (the adapter reports once, naming the fix), rather than a TypeError in the request.
 */
export function notMountedHandle(report: () => void): AuditHandle {
  const handle: AuditHandle = {
    get requestId(): string {
      report();
      return '';
    },
    meta: chainable,
    operator: chainable,
    target: chainable,
    change: chainable,
    operationType: chainable,
    skip: chainable,
    record: chainable,
    event: chainable,
  };
  function chainable(this: AuditHandle): AuditHandle {
    report();
    return handle;
  }
  return Object.freeze(handle);
}

/** Where a stand-in reports: the auditor (only what the stand-in needs of it). */
export interface NotMountedReporter {
  readonly closed: boolean;
  notMounted(problem: string): void;
}

/** Routes an adapter found mounted before its middleware: how many, and up to three named ("POST /items"). */
export interface RoutesBefore {
  count: number;
  names: string[];
}

/**
 * The fault for routes mounted before the middleware, in the same words on every framework, or
 * undefined when there are none. `handle` is the framework's name for the handle (`req.audit`).
 */
export function routesBeforeProblem(routes: RoutesBefore, handle: string, fix: string): string | undefined {
  const { count, names } = routes;
  if (count === 0) return undefined;
  return `audit() is mounted after ${count} route${count === 1 ? '' : 's'} (${names.join(', ')}${count > names.length ? ', ...' : ''}): their requests are not audited, and ${handle} there records nothing. Fix: ${fix}`;
}

/**
 * Gives a framework's base request (or context) an `audit` accessor, so a handler the middleware
 * never saw gets the stand-in handle instead of `undefined`. Installed on the first `reportTo`; the
 * stand-in reports to the auditor created last (an app normally has one), or, once that is closed,
 * as a process warning, once. The middleware's own assignment becomes the request's own property.
 */
export function notMountedStandIn(base: () => object, problem: string): { reportTo(reporter: NotMountedReporter): void } {
  let reporter: NotMountedReporter | undefined;
  let warned = false;
  let installed = false;
  const handle = notMountedHandle(() => {
    if (reporter && !reporter.closed) reporter.notMounted(problem);
    else if (!warned) {
      warned = true;
      process.emitWarning(`[auditkit] ${problem}`, { type: 'AuditkitWarning', code: 'AUDITKIT_NOT_MOUNTED' });
    }
  });
  const install = (): void => {
    installed = true;
    const target = base();
    if (Object.hasOwn(target, 'audit')) return;
    Object.defineProperty(target, 'audit', {
      configurable: true,
      get(): AuditHandle {
        return handle;
      },
      set(this: object, own: AuditHandle) {
        Object.defineProperty(this, 'audit', { value: own, writable: true, configurable: true, enumerable: true });
      },
    });
  };
  return {
    reportTo(next: NotMountedReporter): void {
      reporter = next;
      if (!installed) install();
    },
  };
}
