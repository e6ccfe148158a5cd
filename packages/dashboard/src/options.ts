import { objectAt, onlyKeys, stringAt } from '@auditkit/core';

/** What the dashboard can be told; checked once, when `createDashboard()` is called. */
export interface DashboardOptions {
  /** The page's heading and title. Default "Audit log". */
  title?: string;
  /**
   * The text the trail writes in place of a secret (the auditor's `redact.mask`), so the page can mark
   * masked values as masked. Default `******`, the core's default.
   */
  mask?: string;
}

export interface ResolvedDashboardOptions {
  title: string;
  mask: string;
}

export function resolveDashboardOptions(input: unknown): ResolvedDashboardOptions {
  const options = objectAt(input ?? {}, 'createDashboard') ?? {};
  onlyKeys(options, ['title', 'mask'], '');
  const title = stringAt(options.title, 'title', 'Audit log', 'Audit log');
  const mask = stringAt(options.mask, 'mask', '******', '******');
  return Object.freeze({ title: title.slice(0, 200), mask });
}
