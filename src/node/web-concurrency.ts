/**
 * How many Node server processes run behind the port (WEB_CONCURRENCY), and how many PostgreSQL
 * connections each may open. Pure, so the rules are tested without starting anything.
 */
import { availableParallelism } from 'node:os';
import type { EnvConfig } from '../config.js';
import { ConfigError } from '../config.js';

/** The largest default: WEB_CONCURRENCY itself is refused above this, so the default keeps to it too. */
const MAX_PROCESSES = 64;

/**
 * postgres.js pool per process. One process keeps openPostgres's default (10); in a cluster each
 * worker serves a share of the traffic and is CPU-bound before it is connection-bound, so 5 each:
 * two workers use what one process did, and 16 cores stay under PostgreSQL's default
 * max_connections (100) with room for migrations, psql and a second instance.
 */
export const POOL_PER_WORKER = 5;

export interface WebConcurrency {
  /** 1: no cluster at all, the plain single-process server. */
  readonly processes: number;
  /** Set when the production default had to be lowered: said once in the log. */
  readonly note?: string;
}

/**
 * WEB_CONCURRENCY when set; else every available core in production and 1 otherwise. PGlite is one
 * process's database (DATA_DIR is locked to one process), so more than one process needs
 * DATABASE_URL: an explicit WEB_CONCURRENCY > 1 without it is refused, the production default falls
 * back to 1 with a note.
 */
export function resolveWebConcurrency(
  env: Pick<EnvConfig, 'WEB_CONCURRENCY' | 'DATABASE_URL' | 'NODE_ENV'>,
  cores: number = availableParallelism(),
): WebConcurrency {
  const explicit = env.WEB_CONCURRENCY;
  if (explicit !== undefined) {
    if (explicit > 1 && !env.DATABASE_URL) {
      throw new ConfigError(
        'Invalid configuration:\n' +
          `  WEB_CONCURRENCY: ${explicit} processes need DATABASE_URL (PostgreSQL); the embedded PGlite database ` +
          'belongs to one process. Set DATABASE_URL, or WEB_CONCURRENCY=1',
      );
    }
    return { processes: explicit };
  }
  if (env.NODE_ENV !== 'production') return { processes: 1 };
  const wanted = Math.min(Math.max(1, cores), MAX_PROCESSES);
  if (wanted > 1 && !env.DATABASE_URL) {
    return {
      processes: 1,
      note: `one process, not one per core (${wanted}): the embedded PGlite database belongs to one process; set DATABASE_URL to use every core (WEB_CONCURRENCY)`,
    };
  }
  return { processes: wanted };
}
