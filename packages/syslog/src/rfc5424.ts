import type { DroppedRecord, RecordHead, RequestRecordHead } from '@auditkit/core';

/**
 * RFC 5424 messages: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] BOM MSG`, with the whole
 * record as JSON in MSG and the fields a SIEM filters on repeated in one structured-data element, and
 * RFC 5425/6587 octet-counting framing (`LEN SP MSG`) for TCP and TLS.
 */

export const FACILITIES = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;

export type FacilityName = keyof typeof FACILITIES;

/** auditkit levels as syslog severities: info 6 (informational), warn 4 (warning), error 3 (error). */
const SEVERITY = { info: 6, warn: 4, error: 3 } as const;

const BOM = '\ufeff';

/** PRINTUSASCII (33-126) only, at most `max` characters; '-' when empty (RFC 5424 NILVALUE). */
export function headerField(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return clean.length > 0 ? clean : '-';
}

/** PARAM-VALUE escaping: '"', '\' and ']' take a backslash (RFC 5424 section 6.3.3). */
export function paramValue(value: unknown): string {
  return String(value ?? '').replace(/["\\\]]/g, '\\$&');
}

export interface MessageSettings {
  facility: number;
  appName: string;
  procId: string;
  hostname: string | undefined;
  sdId: string;
}

function structuredData(record: RecordHead, sdId: string): string {
  const params: Array<[string, unknown]> =
    record.event === 'audit.records_dropped'
      ? [
          ['id', record.id],
          ['event', record.event],
          ['sink', (record as DroppedRecord).sink],
          ['dropped', (record as DroppedRecord).dropped],
          ['reason', (record as DroppedRecord).reason],
        ]
      : [
          ['id', record.id],
          ['event', record.event],
          ['request_id', (record as RequestRecordHead).request_id],
          ['source', (record as RequestRecordHead).source ?? '-'],
          ['source_ip', (record as RequestRecordHead).source_ip],
          ['operation_id', (record as RequestRecordHead).operation_id],
          ['method', (record as RequestRecordHead).http_method],
          ['status', (record as RequestRecordHead).http_status_code],
          ['result', (record as RequestRecordHead).operation_result],
        ];
  return '[' + sdId + params.map(([k, v]) => ` ${k}="${paramValue(v)}"`).join('') + ']';
}

/** One RFC 5424 message for a record whose JSON line is `line`. */
export function formatMessage(record: RecordHead, line: string, s: MessageSettings): string {
  const pri = s.facility * 8 + (SEVERITY[record.level] ?? 6);
  return (
    `<${pri}>1 ${record.ts} ${headerField(s.hostname ?? record.node, 255)} ${s.appName} ${s.procId} ${headerField(record.event, 32)} ` +
    structuredData(record, s.sdId) +
    ' ' +
    BOM +
    line
  );
}

/** Octet counting: the message's length in bytes, a space, the message. */
export function frame(message: string): string {
  return `${Buffer.byteLength(message)} ${message}`;
}
