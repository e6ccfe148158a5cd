/**
 * Whether a Winston logger or transport lets audit records through. Winston filters by level without
 * a word: a record at `info` reaching a transport at `error`, or at a level name its logger does not
 * know (syslog's `warning` under npm levels), is dropped and its callback still fires, so the sink
 * would count it as written. These checks turn that into an error at construction.
 */

interface Filter {
  level?: unknown;
  silent?: unknown;
  name?: unknown;
}

/** Why `filter` drops records at `infoLevel` under `levels`, or undefined when it lets them through. */
function filterProblem(filter: Filter, levels: Record<string, number>, infoLevel: string): string | undefined {
  if (filter.silent === true) return 'is silent';
  const level = filter.level;
  if (level === undefined || level === null || level === '') return undefined;
  if (typeof level !== 'string' || !Object.hasOwn(levels, level)) {
    return `has level ${JSON.stringify(level)}, which is not one of its level names (${Object.keys(levels).join(', ')})`;
  }
  if (levels[level]! < levels[infoLevel]!) return `has level "${level}"`;
  return undefined;
}

/**
 * A transport handed to auditkit: auditkit writes to it under npm levels, at `info`, `warn` and `error`.
 * Returns the problem to report, or undefined.
 */
export function transportLevelProblem(transport: Filter, npmLevels: Record<string, number>): string | undefined {
  const problem = filterProblem(transport, npmLevels, 'info');
  return problem && `${problem}, which would silently drop audit records at level info`;
}

/**
 * A logger the application passed in: its own level, and the transports it has now. Records pass when
 * the logger admits `info` and at least one transport does (the others may route on purpose).
 */
export function loggerLevelProblem(
  logger: Filter & { levels: Record<string, number>; transports?: readonly Filter[] },
  infoLevel: string,
): string | undefined {
  const own = filterProblem(logger, logger.levels, infoLevel);
  if (own) return `${own}, which would silently drop every audit record at level ${infoLevel}`;
  const transports = logger.transports ?? [];
  if (transports.length === 0) return 'has no transports, so every audit record would be dropped';
  // A transport without its own level takes the logger's, already checked above.
  const problems = transports.map((t) => filterProblem(t, logger.levels, infoLevel));
  if (problems.every((p) => p !== undefined)) {
    const which = transports.map((t, i) => `transports[${i}]${typeof t.name === 'string' ? ` (${t.name})` : ''} ${problems[i]}`).join('; ');
    return `has no transport that takes level ${infoLevel} (${which}), so every audit record would be dropped`;
  }
  return undefined;
}
