/**
 * A throwaway PostgreSQL server for outage tests: its own initdb in a fresh temporary folder, on a free
 * loopback port, that a test may stop, start, freeze (SIGSTOP) and thaw at will. Never the shared
 * server: outage tests must not take down what other tests use. Missing binaries fail loudly.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './server.js';

export interface PgCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  start(): Promise<void>;
  /** pg_ctl stop -m fast: clients get their connections closed, new ones are refused. */
  stop(): Promise<void>;
  /** SIGSTOP to the postmaster and every backend: connections open, nothing answers. */
  freeze(): void;
  thaw(): void;
  /** Thaws, stops and removes the cluster; safe to call more than once, whatever state it is in. */
  cleanup(): void;
}

/** The server binaries of the highest installed major version (Debian's layout). */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(`No PostgreSQL server binaries (initdb, pg_ctl) in ${root}/*/bin: install the postgresql package`);
  }
  return join(root, versions[0]!, 'bin');
}

/** PostgreSQL refuses to run as root: as root, run its programs as the `postgres` OS user. */
const asRoot = process.getuid?.() === 0;

const commandOf = (program: string, args: string[]): [string, string[]] =>
  asRoot ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];

const execFileAsync = promisify(execFile);

/**
 * Runs a PostgreSQL program without blocking the event loop, so the app under test sees its
 * connections close as they do (a synchronous stop would leave it stale sockets to trip over).
 */
async function run(program: string, args: string[]): Promise<void> {
  try {
    await execFileAsync(...commandOf(program, args), { timeout: 60_000 });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`${program} ${args.join(' ')} failed: ${String(stderr ?? '')}${String(stdout ?? '')}`);
  }
}

/** The ids of `pid`'s children, from /proc (no procps needed). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the parenthesised command name: state, ppid, …
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'bridge-pg-'));
  const data = join(dir, 'data');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  let removed = false;

  const postmasterPid = (): number | null => {
    try {
      return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return null;
    }
  };
  const pgCtl = (...args: string[]) => run(join(bin, 'pg_ctl'), ['-D', data, ...args]);
  // For cleanup, which also runs from an 'exit' handler, where nothing asynchronous happens.
  const pgCtlSync = (...args: string[]) =>
    execFileSync(...commandOf(join(bin, 'pg_ctl'), ['-D', data, ...args]), { stdio: 'ignore', timeout: 60_000 });

  const cluster: PgCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      // Its own socket folder: the shared server's /var/run/postgresql is not ours to touch.
      const options = `-p ${port} -h 127.0.0.1 -k ${dir} -c fsync=off -c full_page_writes=off -c max_connections=40`;
      await pgCtl('start', '-w', '-t', '30', '-l', join(dir, 'log'), '-o', options);
    },
    async stop() {
      await pgCtl('stop', '-w', '-t', '30', '-m', 'fast');
    },
    freeze() {
      const pid = postmasterPid();
      if (pid === null) throw new Error('freeze(): the cluster is not running');
      // The postmaster first, so it starts no backend we would miss.
      signal(pid, 'SIGSTOP');
      for (const child of childrenOf(pid)) signal(child, 'SIGSTOP');
    },
    thaw() {
      const pid = postmasterPid();
      if (pid === null) return;
      for (const child of childrenOf(pid)) signal(child, 'SIGCONT');
      signal(pid, 'SIGCONT');
    },
    cleanup() {
      if (removed) return;
      removed = true;
      const pid = postmasterPid();
      if (pid !== null) {
        // SIGCONT is harmless to a running process, and a frozen one cannot stop.
        cluster.thaw();
        try {
          pgCtlSync('stop', '-w', '-t', '30', '-m', 'immediate');
        } catch {
          // not running
        }
      }
      process.off('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // A worker that dies before afterAll still takes its cluster with it.
  const onExit = () => {
    const pid = postmasterPid();
    if (pid !== null) {
      cluster.thaw();
      signal(pid, 'SIGQUIT');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  try {
    await run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-locale']);
    await cluster.start();
  } catch (error) {
    cluster.cleanup();
    throw error;
  }
  return cluster;
}
