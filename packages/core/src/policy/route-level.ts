import type { RouteAuditSetting } from '../capture/facts.js';
import type { DetailLevel, RouteLevel } from '../model/record.js';
import { describe, fail, isPlainObject, onlyKeys } from '../shared/validate.js';

/**
 * Levels of detail as options give them: `options.level` (the default), `routes[i].level`, and a
 * route's own setting (Fastify's `config.audit.level`), each checked once, where it is declared.
 */

export const ROUTE_LEVELS: readonly RouteLevel[] = ['none', 'metadata', 'request', 'request-response'];

export function levelAt(value: unknown, option: string, allowNone: true): RouteLevel | undefined;
export function levelAt(value: unknown, option: string, allowNone: false): DetailLevel | undefined;
export function levelAt(value: unknown, option: string, allowNone: boolean): RouteLevel | undefined {
  if (value === undefined) return undefined;
  const allowed = allowNone ? ROUTE_LEVELS : ROUTE_LEVELS.slice(1);
  if (!allowed.includes(value as RouteLevel)) {
    const fix =
      value === 'none' ? 'a default of none would record nothing; set level on the routes to leave out (or audit: false) instead' : `use one of ${allowed.map((l) => `'${l}'`).join(', ')}`;
    fail(option, `must be a level of detail, got ${describe(value)}`, fix);
  }
  return value as RouteLevel;
}

/**
 * Checks a route's own audit setting when the route is declared (Fastify's onRoute), so a typo fails
 * at startup rather than being ignored at every request. `where` names the route for the message.
 */
export function checkRouteSetting(setting: unknown, where: string): RouteAuditSetting | undefined {
  if (setting === undefined || typeof setting === 'boolean') return setting;
  if (!isPlainObject(setting)) fail(where, `must be true, false or { audit, operationType, level }, got ${describe(setting)}`, "use { level: 'metadata' } or audit: false");
  onlyKeys(setting, ['audit', 'operationType', 'level'], where);
  if (setting.audit !== undefined && typeof setting.audit !== 'boolean') fail(`${where}.audit`, `must be true or false, got ${describe(setting.audit)}`, 'set it to true or false');
  if (setting.operationType !== undefined && (typeof setting.operationType !== 'string' || setting.operationType.length === 0)) {
    fail(`${where}.operationType`, `must be a non-empty string, got ${describe(setting.operationType)}`, "use a string such as 'users'");
  }
  const level = levelAt(setting.level, `${where}.level`, true);
  if (level === 'none' && setting.audit === true) fail(where, "says both audit: true and level: 'none'", "keep one: level 'none' records nothing");
  return setting as RouteAuditSetting;
}
