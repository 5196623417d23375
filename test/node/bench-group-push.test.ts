/**
 * `npm run bench:group-push`, the README's command, on a small directory: it runs end to end (its own
 * checks of the stored membership included), prints its figures, and exits 0 under its target.
 * The figures themselves come from the full-size run (see the README); this only keeps the script working.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../support/server.js';

const run = promisify(execFile);

describe('npm run bench:group-push', () => {
  it('pushes a mapped group over HTTP and reports members/s and the per-member ratio', async () => {
    const { stdout } = await run('npm', ['run', '--silent', 'bench:group-push'], {
      cwd: projectRoot,
      env: { ...process.env, BENCH_MEMBERS: '400', BENCH_PEER_MEMBERS: '40' },
      timeout: 110_000,
    });
    expect(stdout).toMatch(/PGlite \(in memory\): PUT \/Groups\/:id/);
    expect(stdout).toMatch(/\b400 members\s+push\s+[\d.]+ ms\s+\d+ members\/s/);
    expect(stdout).toMatch(/per-member cost, 400 vs 40 members: [\d.]+x/);
    if (process.env.DATABASE_URL) expect(stdout).toMatch(/PostgreSQL: PUT \/Groups\/:id/);
    expect(stdout).not.toMatch(/OVER TARGET/);
  }, 120_000);
});
