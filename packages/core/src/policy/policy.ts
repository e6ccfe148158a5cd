import type { RouteAuditSetting } from '../capture/facts.js';
import { compilePattern, type CompiledPattern } from './route-pattern.js';
import { UNMATCHED_ROUTE } from '../model/record.js';

/**
 * What is audited. Precedence, first that speaks wins:
 *   1. the handler (`req.audit.skip()` / `req.audit.record()`), applied by the caller;
 *   2. the route's own setting (Fastify `config.audit`) and then `options.routes`, first match wins;
 *   3. the high-frequency list, while `ignoreHighFrequency` is on;
 *   4. the method: `skipMethods` (GET, HEAD, OPTIONS by default) are not audited.
 * The `skip(facts)` predicate runs afterwards and can only remove a record.
 */

export interface RouteRule {
  /** A route template (`/users/:id`) or a glob (`/admin/**`). */
  route: string;
  /** Limit the rule to these methods; all methods when absent. */
  methods?: readonly string[];
  /** true: record even if the method is skipped by default; false: never record. */
  audit?: boolean;
  /** Overrides the derived operation_type. */
  operationType?: string;
}

export interface Decision {
  readonly audit: boolean;
  readonly operationType: string | undefined;
}

interface CompiledRule {
  readonly pattern: CompiledPattern;
  readonly methods: ReadonlySet<string> | undefined;
  readonly audit: boolean | undefined;
  readonly operationType: string | undefined;
}

const DECISION_CACHE_MAX = 2048;

export class Policy {
  readonly #skipMethods: ReadonlySet<string>;
  readonly #rules: readonly CompiledRule[];
  readonly #highFrequency: readonly CompiledPattern[];
  readonly #deriveType: (operationId: string) => string;
  /** Methods for which some rule may switch auditing on, even though the method is skipped. */
  readonly #optInMethods: ReadonlySet<string> | 'all';
  readonly #cache = new Map<string, Decision>();

  constructor(config: {
    skipMethods: readonly string[];
    routes: readonly RouteRule[];
    highFrequency: readonly string[];
    ignoreHighFrequency: boolean;
    operationType: ((operationId: string) => string) | undefined;
  }) {
    this.#skipMethods = new Set(config.skipMethods.map((m) => m.toUpperCase()));
    this.#rules = config.routes.map((r) => ({
      pattern: compilePattern(r.route),
      methods: r.methods ? new Set(r.methods.map((m) => m.toUpperCase())) : undefined,
      audit: r.audit,
      operationType: r.operationType,
    }));
    this.#highFrequency = config.ignoreHighFrequency ? config.highFrequency.map(compilePattern) : [];
    this.#deriveType = config.operationType ?? defaultOperationType;
    let optIn: Set<string> | 'all' = new Set();
    for (const rule of this.#rules) {
      if (rule.audit !== true) continue;
      if (!rule.methods) {
        optIn = 'all';
        break;
      }
      for (const m of rule.methods) optIn.add(m);
    }
    this.#optInMethods = optIn;
  }

  /**
   * At request start, before the route is known: can this request end up audited? False only when
   * the method is skipped and no rule could switch it back on, so skipped reads cost next to nothing.
   */
  mayAudit(method: string, routeSetting: RouteAuditSetting | undefined): boolean {
    const setting = settingAudit(routeSetting);
    if (setting !== undefined) return setting;
    if (!this.#skipMethods.has(method)) return true;
    return this.#optInMethods === 'all' || this.#optInMethods.has(method);
  }

  decide(method: string, operationId: string, routeSetting: RouteAuditSetting | undefined): Decision {
    if (routeSetting !== undefined) return this.#decide(method, operationId, routeSetting);
    const key = method + ' ' + operationId;
    let decision = this.#cache.get(key);
    if (decision === undefined) {
      decision = this.#decide(method, operationId, undefined);
      // Unmatched paths all share one template, so the cache is bounded by the app's routes.
      if (this.#cache.size >= DECISION_CACHE_MAX) this.#cache.clear();
      this.#cache.set(key, decision);
    }
    return decision;
  }

  /** The operation_type a template gets when nothing overrides it. Guarded by the caller. */
  deriveType(operationId: string): string {
    return this.#deriveType(operationId);
  }

  #decide(method: string, operationId: string, routeSetting: RouteAuditSetting | undefined): Decision {
    let audit: boolean | undefined = settingAudit(routeSetting);
    let operationType = typeof routeSetting === 'object' ? routeSetting.operationType : undefined;
    for (const rule of this.#rules) {
      if (rule.methods && !rule.methods.has(method)) continue;
      if (!rule.pattern.matches(operationId)) continue;
      audit ??= rule.audit;
      operationType ??= rule.operationType;
      break;
    }
    if (audit === undefined && this.#highFrequency.some((p) => p.matches(operationId))) audit = false;
    audit ??= !this.#skipMethods.has(method);
    return { audit, operationType };
  }
}

function settingAudit(setting: RouteAuditSetting | undefined): boolean | undefined {
  if (typeof setting === 'boolean') return setting;
  return setting?.audit;
}

/** EMQX's rule: the first segment of the template (`/configs/global_zone` is `configs`). */
export function defaultOperationType(operationId: string): string {
  if (operationId === UNMATCHED_ROUTE) return UNMATCHED_ROUTE;
  const start = operationId.startsWith('/') ? 1 : 0;
  const end = operationId.indexOf('/', start);
  const segment = end === -1 ? operationId.slice(start) : operationId.slice(start, end);
  return segment.length > 0 ? segment : '/';
}
