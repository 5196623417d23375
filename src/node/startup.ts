/**
 * Start-up guards of the Node server: a DATA_DIR lock taken before the embedded database is opened,
 * and a plain one-line account of why DATABASE_URL cannot be used, with retries while it comes up.
 */
import { randomUUID } from 'node:crypto';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export class StartupError extends Error {}

/**
 * Whether `pid` is a live process that could be a server holding the lock. On Linux a pid reused by
 * an unrelated program (after a reboot or a container restart) does not count: its command line must
 * name node.
 */
async function aliveServer(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => null);
  return cmdline === null || /node/i.test(cmdline);
}

const ownerOf = async (path: string) => Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);

/**
 * Takes `DATA_DIR/pglite.lock` for this process. A lock whose process is still alive refuses the
 * start (PGlite is single-process: two writers would lose each other's acknowledged writes); a lock
 * left by a killed process is taken over. Returns the release function.
 *
 * Written by hand because Node has no advisory file lock (flock) and the lock packages available
 * rely on the same pid-file idea. Both steps are atomic, so two servers starting together on one
 * folder cannot both win: the lock appears with its content already in it (a hard link of a file
 * written beforehand, which fails if the lock exists), and a stale lock is moved aside by rename
 * and checked afterwards, so a lock another starter just took is put back instead of being lost.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, 'pglite.lock');
  const mine = `${path}.${process.pid}.${randomUUID()}`;
  await writeFile(mine, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await link(mine, path);
        return async () => {
          if ((await ownerOf(path)) === process.pid) await rm(path, { force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = await ownerOf(path);
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && (await aliveServer(owner))) {
        throw new StartupError(
          `DATA_DIR ${dataDir} is in use by another running server (process ${owner}). ` +
            'Stop it first, or give this one another DATA_DIR (or a DATABASE_URL).',
        );
      }
      // Stale: its process is gone. Move it aside, then make sure what was moved is that stale lock.
      const aside = `${mine}.stale`;
      try {
        await rename(path, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // another starter moved it
        throw error;
      }
      const moved = await ownerOf(aside);
      if (moved !== owner && Number.isInteger(moved) && (await aliveServer(moved))) {
        // A live lock taken in between: give it back (a failure means yet another one is in place).
        await link(aside, path).catch(() => {});
      }
      await rm(aside, { force: true });
    }
    throw new StartupError(`DATA_DIR ${dataDir}: could not take ${path} (too many servers starting at once?)`);
  } finally {
    await rm(mine, { force: true });
  }
}

const CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  CONNECT_TIMEOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ECONNRESET: 'connection reset',
  '28P01': 'password authentication failed',
  '28000': 'authentication refused',
  '3D000': 'database does not exist',
};

/** The innermost error of a chain (drizzle wraps driver errors in `cause`). */
function root(error: unknown): { code?: string; message?: string } {
  let current = error as { cause?: unknown; code?: string; message?: string; errors?: unknown[] };
  for (let i = 0; i < 5 && current; i++) {
    if (current.cause) current = current.cause as typeof current;
    else if (Array.isArray(current.errors) && current.errors[0]) current = current.errors[0] as typeof current;
    else break;
  }
  return current ?? {};
}

/** `{line, retry}`: one line naming DATABASE_URL, the host and the cause; whether waiting may help. */
export function describeDatabaseError(databaseUrl: string, error: unknown): { line: string; retry: boolean } {
  let host = '(unparsable URL)';
  try {
    const url = new URL(databaseUrl);
    host = `${url.hostname}:${url.port || '5432'}`;
  } catch {
    // keep the placeholder: never print the URL itself, it may carry a password
  }
  const cause = root(error);
  const known = cause.code ? CAUSES[cause.code] : undefined;
  const why = known ? `${known} (${cause.code})` : (cause.message ?? String(error)).split('\n')[0]!.slice(0, 200);
  const permanent = cause.code === '28P01' || cause.code === '28000' || cause.code === '3D000';
  return { line: `Cannot use the database in DATABASE_URL (host ${host}): ${why}`, retry: !permanent };
}

/** Runs `attempt` until it succeeds, with back-off, for at most `seconds`; then throws StartupError. */
export async function withDatabaseRetries<T>(
  databaseUrl: string,
  seconds: number,
  attempt: () => Promise<T>,
  report: (line: string) => void,
): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let delay = 250;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      const { line, retry } = describeDatabaseError(databaseUrl, error);
      const left = deadline - Date.now();
      if (!retry || left <= 0) {
        throw new StartupError(retry ? `${line}; gave up after ${seconds} s (DATABASE_RETRY_SECONDS)` : line);
      }
      const wait = Math.min(delay, left);
      report(`${line}; retrying in ${(wait / 1000).toFixed(1)} s`);
      await new Promise((r) => setTimeout(r, wait));
      delay = Math.min(delay * 2, 5000);
    }
  }
}
