/**
 * @auditkit/dashboard: the page an operator keeps open during an incident and an auditor uses to pull
 * evidence. Pass `createDashboard()` as the `dashboard` option of an `auditLog(...)` mount (Express,
 * Fastify, Koa) or run `auditkit serve --store <url>`.
 */
export { createDashboard } from './dashboard.js';
export type { DashboardOptions } from './options.js';
export { CONTENT_SECURITY_POLICY } from './page.js';
