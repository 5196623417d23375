/**
 * `npm run bench:scim`, the README's command, on a small directory (BENCH_QUICK=1: 2,000 then 20,000
 * users, a few hundred requests): it runs end to end against DATABASE_URL's server (in a database of
 * its own, dropped afterwards), prints its table and target lines, and ends with its JSON line. The
 * figures themselves come from the full-size run (see the README); this only keeps the script working.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../support/server.js';

const run = promisify(execFile);
const OPS = ['rawLookup', 'userNameEq', 'emailsEq', 'patchActive', 'rawCreate', 'create'];

describe.skipIf(!process.env.DATABASE_URL)('npm run bench:scim', () => {
  it('measures SCIM next to raw postgres.js and reports the targets', async () => {
    const { stdout } = await run('npm', ['run', '--silent', 'bench:scim'], {
      cwd: projectRoot,
      env: { ...process.env, BENCH_QUICK: '1' },
      timeout: 90_000,
      maxBuffer: 4 * 1024 * 1024,
    });
    expect(stdout).toMatch(/GET \/Users\?filter=userName eq\s+[\d,]+ \/s/);
    expect(stdout).toMatch(/^(PASS|FAIL) create >= 0\.5x the raw transaction: [\d.]+x$/m);
    expect(stdout).toMatch(/^(PASS|FAIL) userName eq >= 0\.3x the raw lookup with p99 <= 20 ms: [\d.]+x, p99 [\d.]+ ms$/m);
    expect(stdout).toMatch(/^(PASS|FAIL) userName eq p50 at 20,000 <= 1\.5x at 2,000: [\d.]+x$/m);
    const last = stdout.trim().split('\n').at(-1)!;
    const report = JSON.parse(last);
    expect(report).toMatchObject({ bench: 'scim', quick: true, concurrency: 16, small: { users: 2000 }, big: { users: 20000 } });
    for (const size of ['small', 'big']) {
      for (const op of OPS) {
        const r = report[size][op];
        expect(r.perSecond, `${size} ${op}`).toBeGreaterThan(0);
        expect(r.p50).toBeGreaterThan(0);
        expect(r.p99).toBeGreaterThanOrEqual(r.p50);
      }
    }
    for (const target of ['create', 'userNameEq', 'scale']) {
      expect(typeof report.targets[target].ratio).toBe('number');
      expect(typeof report.targets[target].pass).toBe('boolean');
    }
  }, 100_000);
});
