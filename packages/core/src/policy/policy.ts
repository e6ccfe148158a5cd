import type { RouteAuditSetting } from '../capture/facts.js';
import { compilePattern, normalizeTemplate, type CompiledPattern } from './route-pattern.js';
import { UNMATCHED_ROUTE, type DetailLevel, type RouteLevel } from '../model/record.js';

/**
 * What is audited. Precedence, first that speaks wins:
 *   1. the handler (`req.audit.skip()` / `req.audit.record()`), applied by the caller;
 *   2. the route's own setting (Fastify `config.audit`) and then `options.routes`, first match wins;
 *   3. the high-frequency list, while `ignoreHighFrequency` is on;
 *   4. the method: `skipMethods` (GET, HEAD, OPTIONS by default) are not audited.
 * The `skip(facts)` predicate runs afterwards and can only remove a record.
 *
 * How much a record holds (its level of detail, Kubernetes' audit levels) is decided alongside, with
 * the same precedence: the route's own setting, then the first matching rule, then `options.level`.
 * Level `none` is `audit: false` at the same place in that order.
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
  /** How much the records of matching requests hold; `none` is `audit: false`. */
  level?: RouteLevel;
}

export interface Decision {
  readonly audit: boolean;
  readonly operationType: string | undefined;
  /** The level of detail, should the request be recorded (a handler can force a record of a skipped one). */
  readonly level: DetailLevel;
}

interface CompiledRule {
  readonly pattern: CompiledPattern;
  readonly methods: ReadonlySet<string> | undefined;
  readonly audit: boolean | undefined;
  readonly operationType: string | undefined;
  readonly level: DetailLevel | undefined;
}

/** A rule or route setting with level `none` is one with `audit: false`. */
function auditOf(audit: boolean | undefined, level: RouteLevel | undefined): boolean | undefined {
  return level === 'none' ? false : audit;
}

function detailOf(level: RouteLevel | undefined): DetailLevel | undefined {
  return level === 'none' ? undefined : level;
}

const DECISION_CACHE_MAX = 2048;

export class Policy {
  readonly #skipMethods: ReadonlySet<string>;
  readonly #rules: readonly CompiledRule[];
  readonly #highFrequency: readonly CompiledPattern[];
  readonly #deriveType: (operationId: string) => string;
  /** Methods for which some rule may switch auditing on, even though the method is skipped. */
  readonly #optInMethods: ReadonlySet<string> | 'all';
  /** Methods for which some rule (or the default) records the response body. */
  readonly #responseMethods: ReadonlySet<string> | 'all';
  readonly #level: DetailLevel;
  /** Decisions by method, then operation id: no key is joined per request. */
  readonly #cache = new Map<string, Map<string, Decision>>();
  #cached = 0;
  /** The default operation types, by operation id (a user's function is called each time: it may not be pure). */
  readonly #types = new Map<string, string>();

  constructor(config: {
    skipMethods: readonly string[];
    routes: readonly RouteRule[];
    highFrequency: readonly string[];
    ignoreHighFrequency: boolean;
    operationType: ((operationId: string) => string) | undefined;
    level?: DetailLevel;
  }) {
    this.#skipMethods = new Set(config.skipMethods.map((m) => m.toUpperCase()));
    this.#level = config.level ?? 'request';
    this.#rules = config.routes.map((r) => ({
      pattern: compilePattern(r.route),
      methods: r.methods ? new Set(r.methods.map((m) => m.toUpperCase())) : undefined,
      audit: auditOf(r.audit, r.level),
      operationType: r.operationType,
      level: detailOf(r.level),
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
    let response: Set<string> | 'all' = this.#level === 'request-response' ? 'all' : new Set();
    for (const rule of this.#rules) {
      if (response === 'all') break;
      if (rule.level !== 'request-response') continue;
      if (!rule.methods) response = 'all';
      else for (const m of rule.methods) response.add(m);
    }
    this.#responseMethods = response;
  }

  /** Whether any request can be recorded with its response body: adapters then keep what they send. */
  get recordsResponses(): boolean {
    return this.#responseMethods === 'all' || this.#responseMethods.size > 0;
  }

  /**
   * At request start: may this request's record need the response body? Exact when the route is known
   * (Fastify), otherwise true whenever some rule for the method could ask for it. The adapter keeps
   * what it sends only when this says so.
   */
  mayRecordResponse(method: string, routeSetting: RouteAuditSetting | undefined, operationId: string | undefined): boolean {
    if (operationId !== undefined) return this.decide(method, normalizeTemplate(operationId), routeSetting).level === 'request-response';
    const own = typeof routeSetting === 'object' ? routeSetting.level : undefined;
    if (own !== undefined) return own === 'request-response';
    return this.#responseMethods === 'all' || this.#responseMethods.has(method);
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
    let byId = this.#cache.get(method);
    if (byId === undefined) this.#cache.set(method, (byId = new Map()));
    let decision = byId.get(operationId);
    if (decision === undefined) {
      decision = this.#decide(method, operationId, undefined);
      // Unmatched paths all share one template, so the cache is bounded by the app's routes.
      if (this.#cached >= DECISION_CACHE_MAX) {
        this.#cache.clear();
        this.#cached = 0;
        this.#cache.set(method, (byId = new Map()));
      }
      byId.set(operationId, decision);
      this.#cached++;
    }
    return decision;
  }

  /** The operation_type a template gets when nothing overrides it. Guarded by the caller. */
  deriveType(operationId: string): string {
    if (this.#deriveType !== defaultOperationType) return this.#deriveType(operationId);
    let type = this.#types.get(operationId);
    if (type === undefined) {
      type = defaultOperationType(operationId);
      if (this.#types.size >= DECISION_CACHE_MAX) this.#types.clear();
      this.#types.set(operationId, type);
    }
    return type;
  }

  #decide(method: string, operationId: string, routeSetting: RouteAuditSetting | undefined): Decision {
    let audit: boolean | undefined = settingAudit(routeSetting);
    let operationType = typeof routeSetting === 'object' ? routeSetting.operationType : undefined;
    let level = typeof routeSetting === 'object' ? detailOf(routeSetting.level) : undefined;
    for (const rule of this.#rules) {
      if (rule.methods && !rule.methods.has(method)) continue;
      if (!rule.pattern.matches(operationId)) continue;
      audit ??= rule.audit;
      operationType ??= rule.operationType;
      level ??= rule.level;
      break;
    }
    if (audit === undefined && this.#highFrequency.some((p) => p.matches(operationId))) audit = false;
    audit ??= !this.#skipMethods.has(method);
    return { audit, operationType, level: level ?? this.#level };
  }
}

function settingAudit(setting: RouteAuditSetting | undefined): boolean | undefined {
  if (typeof setting === 'boolean') return setting;
  return auditOf(setting?.audit, setting?.level);
}

/** EMQX's rule: the first segment of the template (`/configs/global_zone` is `configs`). */
export function defaultOperationType(operationId: string): string {
  if (operationId === UNMATCHED_ROUTE) return UNMATCHED_ROUTE;
  const start = operationId.startsWith('/') ? 1 : 0;
  const end = operationId.indexOf('/', start);
  const segment = end === -1 ? operationId.slice(start) : operationId.slice(start, end);
  return segment.length > 0 ? segment : '/';
}
