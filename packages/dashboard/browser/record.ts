/** The fields of a record the list and the drawer show; the record itself is whatever the trail wrote. */
export interface AuditRecord {
  id: string;
  time: number;
  ts?: string;
  event?: string;
  from?: string;
  node?: string;
  source?: string | null;
  source_verified?: boolean;
  source_ip?: string | null;
  auth_type?: string;
  operation_id?: string;
  operation_type?: string;
  operation_result?: string;
  http_method?: string;
  http_status_code?: number;
  duration_ms?: number | null;
  request_id?: string | null;
  target?: { type?: string; id?: string; name?: string } | null;
  [field: string]: unknown;
}

/** EMQX's "info" column: the operation, or the command line for a CLI record. */
export function infoOf(r: AuditRecord): string {
  const op = typeof r.operation_id === 'string' ? r.operation_id : '';
  if (r.event === 'request' || r.event === undefined) return `${(r.http_method ?? '').toUpperCase()} ${op}`.trim();
  return op === '' || op === r.event ? String(r.event) : `${r.event} · ${op}`;
}

export function targetOf(r: AuditRecord): string | undefined {
  const t = r.target;
  if (t === null || typeof t !== 'object' || typeof t.type !== 'string') return undefined;
  return typeof t.id === 'string' ? `${t.type}/${t.id}` : t.type;
}
