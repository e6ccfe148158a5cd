/** @auditkit/pino: auditkit records to a pino logger or destination. */
export { pinoSink, PinoTransport, type PinoBaseLogger, type PinoDestination, type PinoLogger, type PinoSinkOptions } from './pino-sink.js';
