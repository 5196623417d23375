/**
 * `npm run lint:openapi` (Redocly's recommended rules, redocly.yaml) finds no error and no warning in
 * the document the app serves. Offline: telemetry and the update check are off.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

describe('npm run lint:openapi', () => {
  it('reports 0 errors and 0 warnings', () => {
    const run = spawnSync('npm', ['run', '--silent', 'lint:openapi', '--', '--format', 'json'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as {
      totals: { errors: number; warnings: number; ignored: number };
      problems: { ruleId: string; message: string; location: { pointer?: string }[] }[];
    };
    const problems = report.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`);
    expect(problems).toEqual([]);
    expect(report.totals.errors).toBe(0);
    expect(report.totals.warnings).toBe(0);
    // Only the redirect-only operations of .redocly.lint-ignore.yaml are ignored, the ACS and the
    // authorization's resumption (SP-initiated sign-in and /logout answer 200 with the HTTP-POST form
    // for an IdP that offers only that binding).
    expect(report.totals.ignored).toBe(2);
  }, 120_000);
});
