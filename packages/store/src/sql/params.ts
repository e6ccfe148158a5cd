/**
 * Bound parameters for one statement. Every value a filter carries goes through `add`, which returns
 * the placeholder to write in its place: SQL text is built only from column names and operators.
 * Placeholders are numbered (`$1` for PostgreSQL, `@p1` for SQLite), so the order in which parts of
 * a statement are assembled never has to match the order of its placeholders in the text.
 */
export class SqlParams {
  readonly values: unknown[] = [];
  readonly #style: 'named' | 'dollar';

  constructor(style: 'named' | 'dollar') {
    this.#style = style;
  }

  add(value: unknown): string {
    this.values.push(value);
    return this.#style === 'named' ? `@p${this.values.length}` : `$${this.values.length}`;
  }

  list(values: readonly unknown[]): string {
    return values.map((v) => this.add(v)).join(', ');
  }

  /** The values by name, for a driver that binds `@p1` style placeholders (better-sqlite3). */
  named(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.values.forEach((v, i) => (out[`p${i + 1}`] = v));
    return out;
  }
}
