/**
 * Statements built once per process and run as prepared statements, on the database or inside a
 * transaction alike. Why: drizzle's query builders render the SQL text again on every call (for a
 * full-row select that was most of a SCIM lookup's CPU), and postgres.js only keeps a server-side
 * prepared statement (parsed and planned once per connection) for what drizzle runs under a name.
 * A statement here is drizzle SQL with `sql.placeholder`s, rendered once; a call fills the
 * placeholders and runs it through the executor's own session, so a transaction's statements run on
 * its connection. Works the same on postgres.js and PGlite (which ignores the name).
 */
import type { Column, Query, SQL } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Executor } from './db.js';

const dialect = new PgDialect();

export interface Statement<Row> {
  /**
   * Set: run as a prepared statement (postgres.js keeps it per connection, named after its text);
   * undefined: parsed and planned on every run.
   */
  readonly name: string | undefined;
  readonly query: Query;
  /** One row as the driver returns it in array mode (select-list order) -> the caller's shape. */
  readonly decode: (row: unknown[]) => Row;
}

/** Renders `text` once; its `sql.placeholder(name)`s are the statement's parameters. */
export function statement<Row>(name: string, text: SQL, decode: (row: unknown[]) => Row): Statement<Row> {
  return { name, query: dialect.sqlToQuery(text), decode };
}

/** Runs a statement with these placeholder values (every placeholder must have one) and decodes its rows. */
export async function run<Row>(db: Executor, statement: Statement<Row>, values: Record<string, unknown>): Promise<Row[]> {
  const prepared = db._.session.prepareQuery<{ execute: Row[]; all: unknown; values: unknown }>(
    statement.query,
    undefined,
    statement.name,
    true,
    (rows) => (rows as unknown[][]).map(statement.decode),
  );
  return prepared.execute(values);
}

/**
 * The columns of a table in a fixed order, to select as `alias.col, ...` and decode from an array row
 * starting at `offset`, each value through its column's own driver mapping (what drizzle's select does:
 * timestamps from text, bigint as number, arrays and JSON from either driver's form).
 */
export function rowCodec<T>(columns: Record<string, Column>): { select: (alias: string) => SQL; decode: (row: unknown[], offset: number) => T } {
  const entries = Object.entries(columns);
  return {
    select: (alias) => sql.join(entries.map(([, column]) => sql`${sql.identifier(alias)}.${sql.identifier(column.name)}`), sql`, `),
    decode: (row, offset) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < entries.length; i++) {
        const [key, column] = entries[i]!;
        const value = row[offset + i];
        out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
      }
      return out as T;
    },
  };
}

/** Rendered once per distinct key, for statements whose text varies with their input (a filter's shape); bounded. */
export class StatementCache<Row> {
  private readonly entries = new Map<string, Statement<Row>>();

  constructor(private readonly capacity: number) {}

  /**
   * The statement for `key`, rendered by `build` the first time. Past capacity a new key is rendered
   * each time and not kept: a client inventing shapes cannot grow this map, nor the prepared
   * statements of every connection (those it gets run unprepared, under no name).
   */
  get(key: string, build: () => Statement<Row>): Statement<Row> {
    const found = this.entries.get(key);
    if (found) return found;
    const built = build();
    if (this.entries.size < this.capacity) {
      this.entries.set(key, built);
      return built;
    }
    return { ...built, name: undefined };
  }
}
