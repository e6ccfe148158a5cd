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
