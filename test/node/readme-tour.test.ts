/**
 * The README's curl tour, run as written: its shell block is read from README.md and run by bash
 * against the real server started by `npm start`, as the README says, on an empty DATA_DIR. A README command that
 * breaks breaks this test.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, start, stop } from '../support/server.js';

const run = promisify(execFile);
const readme = new URL('../../README.md', import.meta.url);

/** The first ```sh block after `marker` in the README. */
export async function readmeBlock(marker: string): Promise<string> {
  const text = await readFile(readme, 'utf8');
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`README has no "${marker}"`);
  const open = text.indexOf('```sh\n', at);
  const close = text.indexOf('\n```', open + 6);
  return text.slice(open + 6, close + 1);
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('README tour', () => {
  it('creates a company, an API key, a workspace and an application exactly as the README says', async () => {
    const block = await readmeBlock('A quick tour with curl');
    expect(block).toContain('api-keys');
    // The tour reads .data/operator-token from the folder it runs in: give it one of its own.
    const cwd = await mkdtemp(join(tmpdir(), 'bridge-tour-'));
    dirs.push(cwd);
    const port = await freePort();
    const server = await start({ DATA_DIR: join(cwd, '.data'), PUBLIC_URL: `http://127.0.0.1:${port}`, DEMO: 'off' }, port, {
      command: ['npm', 'start', '--silent'],
    });
    try {
      const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', block], {
        cwd,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', BRIDGE: server.base },
      });
      const workspace = JSON.parse(stdout) as { id: string; name: string };
      expect(workspace.name).toBe('Main');
      expect(typeof workspace.id).toBe('string');

      // "Connect your application": the registration command, and the issuer its client settings name.
      const register = await readmeBlock('**Register the application**');
      const created = JSON.parse((await run('bash', ['-euo', 'pipefail', '-c', register], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', BRIDGE: server.base } })).stdout) as Record<string, unknown>;
      expect(created).toMatchObject({ name: 'Dashboard', isDefault: true, initiateLoginUri: 'http://localhost:5173/auth/bridge-login' });
      expect(created.clientId).toBe(created.id);
      expect(created.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const discovery = (await (await fetch(`${server.base}/.well-known/openid-configuration`)).json()) as { issuer: string };
      expect(discovery.issuer).toBe(server.base);
    } finally {
      expect(await stop(server)).toBe(0);
    }
  }, 120_000);
});
