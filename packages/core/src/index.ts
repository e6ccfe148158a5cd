/**
 * @auditkit/core: the framework-free heart of auditkit. Adapters (@auditkit/express, /fastify, /koa)
 * translate their framework's objects into the facts below; every decision is made here.
 */

export { Auditor, createAuditor, STRICT_REFUSAL, type AuditStats } from './auditor.js';
export type { AuditContext, AuditHandle, AuditEventDetails } from './capture/context.js';
export { AuditAttempt, type AppEventDetails, type ApplicationEvent, type EventOperator, type OutcomeDetails } from './record/app-event.js';
export type { ChangeInput } from './change/change.js';
export { jsonPatch, type PatchOp } from './change/json-patch.js';
export { CommandRun, CLI_EVENT, processExitCode, type CommandAudit, type CommandRunOptions, type RunEnding } from './events/command-run.js';
export type { CommandDeclaration, CommandFacts, ValueSource } from './events/command-args.js';
export { checkCommandLineOptions, type CommandLineOptions } from './launch/cli-options.js';
export { hostOperator, type HostOperator } from './events/host-operator.js';
export type { PauseOptions } from './events/lifecycle.js';
export { ConsoleSession, SESSION_END, SESSION_START, STATEMENT, type ConsoleSessionOptions, type ConsoleStatement } from './events/console-session.js';
export { auditRepl, type AuditReplOptions, type ReplSession } from './launch/repl.js';
export type { AdapterBinding, AuditFacts, CompletionFacts, ResponseFacts, RouteAuditSetting, StartFacts } from './capture/facts.js';
export { responseFacts } from './capture/facts.js';
export type { AuditOptions } from './options.js';
export type { LimitOptions } from './record/options.js';
export type { QueueOptions } from './delivery/options.js';
export type { RedactOptions } from './redact/options.js';
export { DEFAULT_HIGH_FREQUENCY_ROUTES, DEFAULT_SKIP_METHODS } from './policy/options.js';
export { DEFAULT_REDACT_KEYS } from './redact/names.js';
export { DEFAULT_MASKED_HEADERS } from './record/headers.js';
export type { AuthOptions, ApiKeyOptions, SessionOptions } from './auth/auth.js';
export type { JwtOptions, JwtVerifyOptions } from './auth/jwt.js';
export type { RouteRule } from './policy/policy.js';
export { checkRouteSetting } from './policy/route-level.js';
export type { RedactMode } from './redact/redact.js';
export type { TrustProxy } from './capture/source-ip.js';
export type { TimeOffset } from './shared/clock.js';
export type { SinkStats } from './delivery/channel.js';
export type { SinkSelect } from './delivery/sink-select.js';
export type { SinkFieldValue } from './delivery/sink-fields.js';
export {
  DROPPED_EVENT,
  REQUEST_EVENT,
  UNMATCHED_ROUTE,
  type AuditLevel,
  type AuditRecord,
  type AuditTarget,
  type AuthError,
  type AuthType,
  type BodyRecorded,
  type DetailLevel,
  type DroppedRecord,
  type EventRecord,
  type EventResult,
  type HostOperatorRecord,
  type RecordedChange,
  type JsonObject,
  type JsonValue,
  type OperationResult,
  type RecordedHttpRequest,
  type RecordedHttpResponse,
  type RequestRecord,
  type RouteLevel,
} from './model/record.js';
export { watchNodeResponse } from './capture/node-response.js';
export { notMountedHandle, notMountedStandIn, routesBeforeProblem, type NotMountedReporter, type RoutesBefore } from './capture/not-mounted.js';
export { withControls, type AuditorControls } from './controls.js';
export { AuditTransport } from './delivery/audit-transport.js';
export { AuditEntry, type RecordHead, type RequestRecordHead } from './record/entry.js';
export { AuditFileTransport } from './delivery/file-transport.js';
export { DEFAULT_AUDIT_FILE, type AuditFileOptions } from './delivery/file-options.js';
export { AuditConfigError, AuditError, AuditFault, ERROR_CODES, type AuditErrorCode } from './shared/errors.js';
export { hmacValue } from './shared/hmac.js';
export { Spool, type SpoolOptions } from './delivery/spool.js';
export type { SinkMode, DropReason } from './delivery/channel.js';
export type { SinkOptions, SpoolSettings } from './delivery/options.js';
export type { ResolvedOptions } from './options.js';
export type { CloseOptions } from './auditor.js';
export { parseSize } from './delivery/file-options.js';
/** Option checks for transport authors: each throws an AuditConfigError naming the option and the fix. */
export { booleanAt, describe as describeValue, fail as failOption, integerAt, isPlainObject, objectAt, onlyKeys, stringAt, stringListAt } from './shared/validate.js';
export { closeOnSignals, type Closable, type ShutdownOptions } from './launch/shutdown.js';
export { verifyAuditLog, collectFiles, type VerifyOptions, type VerifyReport, type Problem, type ProblemKind, type ChainSummary } from './integrity/verify.js';
export type { AnchorSummary } from './integrity/verify-anchors.js';
export { loadSigningKey, loadVerifyingKey, type PrivateKeySource, type PublicKeySource, type SigningKey, type VerifyingKey } from './integrity/signing-key.js';
export { canonicalJson } from './shared/canonical.js';
export { CHAIN_START_EVENT, CHECKPOINT_EVENT, GENESIS, linkHash, type ChainBreak, type CheckpointPayload, type CheckpointReason, type WrittenCheckpoint } from './integrity/chain.js';
export type { ChainOptions } from './delivery/file-options.js';
