import type { SqlDialect, SqlParams } from '@auditkit/store';

/** LIKE's wildcards (`%`, `_`) and its escape character (backslash, the default) are taken literally. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * PostgreSQL: a case-sensitive LIKE over the lower-cased searchable text, which the pg_trgm GIN index
 * answers for needles of three or more characters (shorter ones scan; the results are the same).
 */
export const postgresDialect: Pick<SqlDialect, 'params' | 'textContains'> = {
  params: 'dollar',
  textContains(needle: string, p: SqlParams): string {
    return `r.search_text LIKE ${p.add(`%${likeLiteral(needle)}%`)}`;
  },
};
