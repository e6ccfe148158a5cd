import { Counter, Gauge, Registry } from 'prom-client';
import type { Auditor, AuditStats, SinkStats } from '@auditkit/core';

/**
 * auditkit's counters as Prometheus metrics (prom-client), read at scrape time. OWASP asks to detect
 * when logging stops; alert on `auditkit_sink_up == 0`, on `auditkit_records_dropped_total` rising, or
 * on `time() - auditkit_sink_last_write_timestamp_seconds` growing while requests are served.
 *
 * @example
 * const registry = auditMetrics(middleware.auditor);
 * app.get('/metrics', async (_req, res) => res.type(registry.contentType).send(await registry.metrics()));
 */

export interface MetricsOptions {
  /** Register into this registry (default: a new one). */
  registry?: Registry;
  /** Metric name prefix. Default `auditkit_`. */
  prefix?: string;
  /** Constant labels, e.g. `{ service: 'billing' }`. */
  labels?: Record<string, string>;
}

type Source = Auditor | { auditor: Auditor };

const SINK_COUNTERS = [
  ['records_accepted_total', 'Records a sink took into its queue or spool.', 'accepted'],
  ['records_written_total', 'Records a sink confirmed written.', 'written'],
  ['records_dropped_total', 'Records a sink turned away: queue or spool full, oversize, or closed.', 'dropped'],
  ['records_failed_total', 'Records given up after acceptance: still in memory when close() gave up with no spool (or no room or a failing disk in it), or a spooled line that is not a record (docs/delivery.md).', 'failed'],
  ['records_skipped_total', "Records the sink's select does not take: never offered to it.", 'skipped'],
  ['write_errors_total', 'Failed write attempts; each is retried.', 'errors'],
] as const;

const SINK_GAUGES = [
  ['records_queued', 'Records waiting in memory.', (s: SinkStats) => s.queued],
  ['records_spooled', 'Records waiting in the disk spool.', (s: SinkStats) => s.spooled],
  ['sink_up', '1 while the sink confirms writes, 0 after a failed write until the next success.', (s: SinkStats) => (s.healthy ? 1 : 0)],
  ['sink_last_write_timestamp_seconds', 'Unix time of the last confirmed write (0: none yet).', (s: SinkStats) => s.lastWriteAt / 1000],
] as const;

export function auditMetrics(source: Source | readonly Source[], options: MetricsOptions = {}): Registry {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? 'auditkit_';
  if (options.labels) registry.setDefaultLabels(options.labels);
  const auditors = (Array.isArray(source) ? source : [source]).map((s: Source) => ('stats' in s ? s : s.auditor) as Auditor);
  const snapshot = (): AuditStats[] => auditors.map((a) => a.stats());

  // One metric per sink statistic, labelled by sink, filled with absolute values at scrape time.
  const perSink = (Metric: typeof Counter | typeof Gauge, name: string, help: string, read: (s: SinkStats) => number): void => {
    new Metric({
      name: prefix + name,
      help,
      labelNames: ['sink'],
      registers: [registry],
      collect(this: Counter | Gauge) {
        this.reset();
        for (const stats of snapshot()) {
          for (const [sink, s] of Object.entries(stats.sinks)) {
            if (this instanceof Gauge) this.set({ sink }, read(s));
            else this.inc({ sink }, read(s));
          }
        }
      },
    });
  };
  for (const [name, help, field] of SINK_COUNTERS) perSink(Counter, name, help, (s) => s[field]);
  for (const [name, help, read] of SINK_GAUGES) perSink(Gauge, name, help, read);
  new Counter({
    name: prefix + 'requests_refused_total',
    help: 'Requests strict mode answered with 503.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(snapshot().reduce((n, s) => n + s.refused, 0));
    },
  });
  new Counter({
    name: prefix + 'faults_total',
    help: 'Faults reported, by code (see docs/errors.md).',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const stats of snapshot()) for (const [code, n] of Object.entries(stats.faults)) this.inc({ code }, n ?? 0);
    },
  });
  new Gauge({
    name: prefix + 'records_building',
    help: 'Records waiting for an asynchronous check (JWT verification, API-key lookup).',
    registers: [registry],
    collect() {
      this.set(snapshot().reduce((n, s) => n + s.building, 0));
    },
  });
  return registry;
}
