import type { RouteAuditSetting } from '../capture/facts.js';
import { AuditConfigError } from '../shared/errors.js';
import { describe, isPlainObject, onlyKeys } from '../shared/validate.js';

/**
 * Checks a route's own audit setting (Fastify's `config.audit`) when the route is added, as options
 * are checked at construction: `audit: 'yes'` would otherwise be accepted and do nothing. `where`
 * names the route for the message, e.g. `route "POST /orders" config.audit`.
 */
export function checkRouteSetting(value: unknown, where: string): RouteAuditSetting {
  const fix = "use true, false, or { audit: true, operationType: 'orders' }";
  if (typeof value === 'boolean') return value;
  if (!isPlainObject(value)) throw new AuditConfigError('AUDITKIT_INVALID_OPTION', where, `must be true, false or { audit, operationType }, got ${describe(value)}`, fix);
  onlyKeys(value, ['audit', 'operationType'], where);
  if (value.audit !== undefined && typeof value.audit !== 'boolean') {
    throw new AuditConfigError('AUDITKIT_INVALID_OPTION', `${where}.audit`, `must be true or false, got ${describe(value.audit)}`, 'use audit: true or audit: false');
  }
  if (value.operationType !== undefined && (typeof value.operationType !== 'string' || value.operationType.length === 0)) {
    throw new AuditConfigError('AUDITKIT_INVALID_OPTION', `${where}.operationType`, `must be a non-empty string, got ${describe(value.operationType)}`, "use operationType: 'orders'");
  }
  if (value.audit === undefined && value.operationType === undefined) {
    throw new AuditConfigError('AUDITKIT_INVALID_OPTION', where, 'says nothing: it has neither audit nor operationType', 'add audit: true, audit: false or operationType');
  }
  return value as RouteAuditSetting;
}
