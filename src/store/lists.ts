/**
 * Big lists as ONE bind parameter. drizzle spreads a JS array into one parameter per element (and a
 * multi-row insert into one per cell), and a PostgreSQL statement takes at most 65,535 of them: a
 * 50,000-member group push would not fit. An array or jsonb literal, parsed by the server, is one
 * parameter whatever its length, and postgres.js and PGlite send it alike (as text).
 *
 * Queries over such a list are written to be driven by it (`from unnest(list)` then one index lookup
 * per element, through a `cross join lateral (... limit 1)` the planner cannot flatten): rows written
 * in this very transaction have no statistics yet (PGlite never analyzes, nor does a server with
 * autovacuum off), and the planner, taking the table side for one row, would otherwise rescan the
 * list once per table row: 50,000 x 5,000 comparisons for one PATCH.
 */
import { sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';

/** The strings as one `text[]` parameter (an array literal: every element quoted, `"` and `\` escaped). */
export function textArray(values: readonly string[]): SQL {
  return sql`${textArrayLiteral(values)}::text[]`;
}

/** The array literal `textArray` sends, for a placeholder of a prepared statement (cast it `::text[]`). */
export function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

/**
 * `from ${jsonRows(rows, 'r', { userId: 'text', ... })}`: the objects as rows, one column per listed
 * key, named like it (quoted, so `r."userId"`); a missing key is null.
 */
export function jsonRows(rows: readonly object[], alias: string, columns: Record<string, 'text' | 'jsonb'>): SQL {
  const definition = sql.join(
    Object.entries(columns).map(([name, type]) => sql`${sql.identifier(name)} ${sql.raw(type)}`),
    sql`, `,
  );
  return sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as ${sql.identifier(alias)}(${definition})`;
}
