/**
 * @auditkit/syslog: audit records to a syslog server as RFC 5424 messages, over TLS (RFC 5425, with
 * client certificates), TCP or UDP. Use it like any transport:
 *
 * @example
 * app.use(audit({ sinks: [new AuditFileTransport(), new AuditSyslogTransport({ host: 'logs.internal', ca, cert, key })] }));
 */
export { AuditSyslogTransport, type SyslogOptions } from './transport.js';
export { FACILITIES, formatMessage, frame, type FacilityName } from './rfc5424.js';
