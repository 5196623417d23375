/**
 * `npm run bench:acs`, the README's command, in its quick form (BENCH_QUICK=1: 30 requests a point,
 * one round, no CPU profile) on DATABASE_URL: it runs end to end, prints a figure for every target,
 * and the peer really verified (accepted every response it was sent, refused none). The figures
 * themselves come from the full run (see the README); this only keeps the script working.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../support/server.js';

const run = promisify(execFile);

describe.skipIf(!process.env.DATABASE_URL)('npm run bench:acs (BENCH_QUICK=1)', () => {
  it('reports a numeric ratio for every target, and the peer accepted what it was sent', async () => {
    const { stdout } = await run('npm', ['run', '--silent', 'bench:acs'], {
      cwd: projectRoot,
      env: { ...process.env, BENCH_QUICK: '1' },
      timeout: 100_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const line = stdout.split('\n').find((l) => l.startsWith('{"bench":"acs"'));
    expect(line, stdout.slice(-2000)).toBeDefined();
    const result = JSON.parse(line!);
    expect(result.quick).toBe(true);
    const targets = Object.entries(result.targets as Record<string, { value: unknown; pass: unknown }>);
    expect(targets.length).toBe(7);
    for (const [name, target] of targets) {
      expect(typeof target.value, name).toBe('number');
      expect(typeof target.pass, name).toBe('boolean');
    }
    for (const [name, ratio] of Object.entries(result.ratios as Record<string, unknown>)) expect(typeof ratio, name).toBe('number');
    // Every point's responses went to the peer, and it verified them all: a misconfigured peer would refuse.
    const peerRequests = Object.values(result.peer as Record<string, { requests?: number }>).reduce((n, p) => n + (p.requests ?? 0), 0);
    expect(result.peer.refused).toBe(0);
    expect(result.peer.accepted).toBeGreaterThanOrEqual(peerRequests);
    expect(result.product['okta8k@8 round 1'].perSecond).toBeGreaterThan(0);
    expect(stdout).toMatch(/^(PASS|FAIL) okta8k@8 product\/peer: /m);
  }, 110_000);
});
