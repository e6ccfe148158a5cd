import { AuditConfigError, describeValue, failOption, integerAt, objectAt, onlyKeys, type Auditor } from '@auditkit/core';
import type { AuditStore } from '@auditkit/store';
import type { Authorize, Viewer } from './access/viewer.js';
import type { ApiRequest, ApiResponse } from './http/types.js';

/**
 * The API's options, checked once at construction. Reading the trail is access-controlled by default:
 * there is no default `authorize`, and the only way to open the API to everyone is to say so
 * (`authorize: 'public'`). Reads are audited through the application's auditor, which is required.
 */

/** Serves the dashboard page under the mount (`/` and `/assets/*`), after `authorize` has named the viewer. */
export type DashboardHandler = (request: ApiRequest, viewer: Viewer) => ApiResponse | undefined | Promise<ApiResponse | undefined>;

export interface AuditLogApiOptions {
  /** The store to read (`store.transport` is what the auditor writes to). */
  store: AuditStore;
  /**
   * Names the viewer or refuses; may return a scope that confines them. Required: pass
   * `'public'` to let anyone who can reach the mount read the whole trail (reads are still audited).
   */
  authorize: Authorize | 'public';
  /** The application's auditor (or the audit middleware, which carries it): every read is recorded through it. */
  auditor: Auditor | { readonly auditor: Auditor };
  /** `count=exact` counts up to this many matching records, then answers `{ value: cap, exact: false }`. Default 10000. */
  countCap?: number;
  /** Records an export reads from the store at a time. Default 1000. */
  exportBatchSize?: number;
  /** EMQX-style `page` paging walks the keyset; pages deeper than this many records are refused (use `cursor`). Default 100000. */
  maxPageDepth?: number;
  live?: {
    /** How often a live stream asks the store for newer records, ms. Default 1000. */
    pollMs?: number;
    /** A comment line this often keeps proxies from closing an idle stream, ms. Default 15000. */
    heartbeatMs?: number;
  };
  dashboard?: DashboardHandler;
}

export interface ResolvedApiOptions {
  store: AuditStore;
  authorize: Authorize | 'public';
  auditor: Auditor;
  countCap: number;
  exportBatchSize: number;
  maxPageDepth: number;
  pollMs: number;
  heartbeatMs: number;
  dashboard: DashboardHandler | undefined;
}

export const API_OPTION_NAMES = ['store', 'authorize', 'auditor', 'countCap', 'exportBatchSize', 'maxPageDepth', 'live', 'dashboard'] as const;

const STORE_METHODS = ['query', 'get', 'count', 'distinct', 'histogram', 'scan', 'since'] as const;

export function resolveApiOptions(input: unknown, allowed: readonly string[] = API_OPTION_NAMES): ResolvedApiOptions {
  const options = objectAt(input ?? {}, 'auditLog') ?? {};
  onlyKeys(options, allowed, '');

  if (!('authorize' in options) || options.authorize === undefined) {
    throw new AuditConfigError(
      'AUDITKIT_INVALID_OPTION',
      'authorize',
      'is missing, and the audit log is never readable by default',
      "pass authorize: (request) => ({ viewer: 'alice' }) (or false to refuse), using your app's own session or token check; to let anyone who reaches the mount read the whole trail, pass authorize: 'public' explicitly",
    );
  }
  const authorize = options.authorize;
  if (authorize !== 'public' && typeof authorize !== 'function') {
    failOption('authorize', `must be a function or 'public', got ${describeValue(authorize)}`, "pass authorize: (request) => ({ viewer }) or authorize: 'public'");
  }

  const store = options.store;
  if (store === undefined) {
    failOption('store', 'is missing', 'pass the store the auditor writes to, e.g. store: sqliteStore({ path: "audit.db" })');
  }
  for (const method of STORE_METHODS) {
    if (store === null || typeof store !== 'object' || typeof (store as Record<string, unknown>)[method] !== 'function') {
      failOption('store', `is not an audit store (no ${method}() method)`, 'pass a store from @auditkit/store or @auditkit/store-postgres');
    }
  }

  const auditor = auditorOf(options.auditor);

  const live = objectAt(options.live, 'live') ?? {};
  onlyKeys(live, ['pollMs', 'heartbeatMs'], 'live');
  const dashboard = options.dashboard;
  if (dashboard !== undefined && typeof dashboard !== 'function') {
    failOption('dashboard', `must be a function, got ${describeValue(dashboard)}`, 'pass the handler the dashboard package exports');
  }
  return Object.freeze({
    store: store as AuditStore,
    authorize: authorize as Authorize | 'public',
    auditor,
    countCap: integerAt(options.countCap, 'countCap', 10_000, 1, 10_000_000),
    exportBatchSize: integerAt(options.exportBatchSize, 'exportBatchSize', 1000, 1, 10_000),
    maxPageDepth: integerAt(options.maxPageDepth, 'maxPageDepth', 100_000, 1, 10_000_000),
    pollMs: integerAt(live.pollMs, 'live.pollMs', 1000, 10, 60_000),
    heartbeatMs: integerAt(live.heartbeatMs, 'live.heartbeatMs', 15_000, 100, 300_000),
    dashboard: dashboard as DashboardHandler | undefined,
  });
}

/** The auditor itself, or the middleware / plugin controls that carry one (`audit()` returns those). */
function auditorOf(value: unknown): Auditor {
  if (isAuditor(value)) return value;
  const carried = (value !== null && typeof value === 'object') || typeof value === 'function' ? (value as { auditor?: unknown }).auditor : undefined;
  if (isAuditor(carried)) return carried;
  throw new AuditConfigError(
    'AUDITKIT_INVALID_OPTION',
    'auditor',
    value === undefined ? 'is missing, and every read of the trail must itself be audited (PCI DSS 10.2.1.3)' : `is not an auditor, got ${describeValue(value)}`,
    'pass the audit middleware your app uses (or its .auditor): auditLog({ store, authorize, auditor: auditMiddleware })',
  );
}

function isAuditor(value: unknown): value is Auditor {
  // Duck-typed: an auditor built by the ESM and one built by the CJS copy of the core are both fine.
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Auditor).record === 'function' &&
    typeof (value as Auditor).options === 'object' &&
    typeof (value as Auditor).options.sourceIp === 'function'
  );
}
