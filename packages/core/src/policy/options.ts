import type { AuditFacts } from '../capture/facts.js';
import { Policy, type RouteRule } from './policy.js';
import { levelAt } from './route-level.js';
import { isGlob } from './route-pattern.js';
import { booleanAt, describe, fail, functionAt, objectAt, onlyKeys, stringAt, stringListAt, type Obj } from '../shared/validate.js';

export const DEFAULT_SKIP_METHODS = ['GET', 'HEAD', 'OPTIONS'];

/** Health checks and scrapes: frequent, and nothing an auditor asks about. */
export const DEFAULT_HIGH_FREQUENCY_ROUTES = ['/health', '/healthz', '/livez', '/readyz', '/ping', '/metrics', '/**/heartbeat'];

/**
 * The policy's top-level options: `skipMethods`, `highFrequencyRoutes`, `routes`,
 * `ignoreHighFrequency`, `operationType` and `level`, checked in that order.
 */
export function resolvePolicy(raw: Obj): Policy {
  const skipMethods = stringListAt(raw.skipMethods, 'skipMethods', DEFAULT_SKIP_METHODS, '["GET", "HEAD", "OPTIONS"]');
  const highFrequency = stringListAt(raw.highFrequencyRoutes, 'highFrequencyRoutes', DEFAULT_HIGH_FREQUENCY_ROUTES, '["/health", "/telemetry/**"]');
  highFrequency.forEach((p, i) => checkRoutePattern(p, `highFrequencyRoutes[${i}]`));
  const routes: RouteRule[] = [];
  if (raw.routes !== undefined) {
    if (!Array.isArray(raw.routes)) fail('routes', `must be an array of rules, got ${describe(raw.routes)}`, "use [{ route: '/reports/:id', methods: ['GET'], audit: true }]");
    raw.routes.forEach((rule: unknown, i: number) => {
      const option = `routes[${i}]`;
      const r = objectAt(rule, option)!;
      if (r === undefined) fail(option, 'must be an object', "use { route: '/users/:id', audit: false }");
      onlyKeys(r, ['route', 'methods', 'audit', 'operationType', 'level'], option);
      const route = stringAt(r.route, `${option}.route`, '', '/users/:id');
      if (route === '') fail(`${option}.route`, 'is required', "add route: '/users/:id' (a template or a glob)");
      checkRoutePattern(route, `${option}.route`);
      const audit = r.audit === undefined ? undefined : booleanAt(r.audit, `${option}.audit`, true);
      const operationType = r.operationType === undefined ? undefined : stringAt(r.operationType, `${option}.operationType`, '', 'users');
      const level = levelAt(r.level, `${option}.level`, true);
      if (audit === undefined && operationType === undefined && level === undefined) {
        fail(option, 'says nothing: it has neither audit, operationType nor level', "add audit: true, audit: false, operationType or level: 'metadata'");
      }
      if (level === 'none' && audit === true) fail(option, "says both audit: true and level: 'none'", "keep one: level 'none' records nothing");
      const methods = r.methods === undefined ? undefined : stringListAt(r.methods, `${option}.methods`, [], '["POST"]').map((m) => m.toUpperCase());
      // A level says how much, not whether: on methods skipped by default it would never apply.
      if (level !== undefined && level !== 'none' && audit === undefined && methods !== undefined && methods.every((m) => skipMethods.some((s) => s.toUpperCase() === m))) {
        fail(option, `sets level '${level}' for ${methods.join(', ')}, which ${methods.length > 1 ? 'are' : 'is'} not audited by default, so it would never apply`, 'add audit: true to the rule');
      }
      routes.push({ route, methods, audit, operationType, level });
    });
  }
  return new Policy({
    skipMethods,
    routes,
    highFrequency,
    ignoreHighFrequency: booleanAt(raw.ignoreHighFrequency, 'ignoreHighFrequency', true),
    operationType: functionAt<(id: string) => string>(raw.operationType, 'operationType', '(operationId) => string'),
    level: levelAt(raw.level, 'level', false),
  });
}

/** `skip`: the application's last word on whether a request is recorded. */
export function resolveSkip(value: unknown): ((facts: AuditFacts) => boolean) | undefined {
  return functionAt<(facts: AuditFacts) => boolean>(value, 'skip', '(facts) => boolean');
}

/** A route template or glob, wherever an option names one (`routes`, `highFrequencyRoutes`, `redact.routes`). */
export function checkRoutePattern(pattern: string, option: string): void {
  if (!pattern.startsWith('/') && !pattern.startsWith('*')) {
    fail(option, `must start with "/" (a route template) or "*" (a glob), got ${describe(pattern)}`, 'write it as the route is declared, e.g. "/users/:id"');
  }
  if (isGlob(pattern) && /\*{3,}/.test(pattern)) fail(option, 'has more than two * in a row', 'use * for one segment, ** for any number');
}
