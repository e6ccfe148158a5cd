import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { AuditConfigError } from '@auditkit/core';

/**
 * better-sqlite3 is an optional peer dependency, loaded only when a SQLite store opens: a PostgreSQL
 * user never installs it (it is a native addon that compiles at install time).
 */
function requireHere(): NodeJS.Require {
  // ES module build: import.meta.url. The CommonJS build has an empty import.meta, and its own __filename.
  // (Not `typeof __filename`: under `node -e` an ES module sees the eval script's __filename.)
  return createRequire((import.meta.url as string | undefined) ?? __filename);
}

export function missingDriver(cause: unknown): AuditConfigError {
  return new AuditConfigError(
    'AUDITKIT_SINK_UNAVAILABLE',
    'path',
    'the SQLite store needs the optional dependency better-sqlite3, which is not installed',
    'npm install better-sqlite3@12 (12.x runs on Node 20; 13.x needs Node 22)',
    cause,
  );
}

/** Fails early, on the caller's thread, with an error that says what to install. */
export function checkDriverInstalled(): void {
  try {
    requireHere().resolve('better-sqlite3');
  } catch (err) {
    throw missingDriver(err);
  }
}

export function loadDriver(): typeof BetterSqlite3 {
  try {
    return requireHere()('better-sqlite3') as typeof BetterSqlite3;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') throw missingDriver(err);
    throw err;
  }
}
