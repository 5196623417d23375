/**
 * The two servers of the ACS benchmark and the CPU placement: the product as `npm start` runs it
 * (the bundle, on PostgreSQL) and the node-saml peer, each pinned with taskset to core 0 while the
 * load generator (this process) keeps core 1. Never both at once: one is stopped before the other starts.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { root, startServer, stopServer } from './lib.js';

export const SERVER_CORE = '0';
export const LOAD_CORE = '1';

/** This process's CPU list as taskset prints it ("0,1", "0-3"), read before pinning it. */
export function currentAffinity(pid = process.pid): string {
  const out = execFileSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8' });
  return out.slice(out.lastIndexOf(':') + 1).trim();
}

/**
 * Pins every thread of this process (the JS thread, libuv's pool, V8's helpers) to the load core.
 * Returns the affinity it had, for servers that should run unpinned.
 */
export function pinLoadGenerator(): string {
  const before = currentAffinity();
  // One CPU: nothing to separate (and taskset -c 1 would fail); the figures then share the core.
  if (availableParallelism() < 2) return before;
  execFileSync('taskset', ['-a', '-c', '-p', LOAD_CORE, String(process.pid)], { stdio: 'ignore' });
  return before;
}

function procStat(pid: string): { ppid: string; comm: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ppid: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]! };
  } catch {
    return null;
  }
}

/** The node processes of a server: itself and every node process below it (cluster workers). */
export function nodeProcessesOf(pid: number): number {
  const all = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  const stats = new Map(all.map((p) => [p, procStat(p)]));
  const below = (p: string): boolean => {
    for (let up = stats.get(p)?.ppid, hops = 0; up && hops < 10; up = stats.get(up)?.ppid, hops++) if (up === String(pid)) return true;
    return false;
  };
  return all.filter((p) => (p === String(pid) || below(p)) && stats.get(p)?.comm === 'node').length;
}

export interface Running {
  base: string;
  server: ChildProcess;
  /** Node processes serving (more than 1 when WEB_CONCURRENCY forks workers). */
  processes: number;
}

/**
 * The product: `node --enable-source-maps <entry>` (the bundle of `npm start`, see lib.ts
 * privateBundle) on DATABASE_URL under `taskset -c <cpus>`, on `port` (fixed, so PUBLIC_URL and the SP entity IDs stay the same across restarts).
 */
export async function startProduct(options: { entry: string; port: number; cpus: string; webConcurrency: number; nodeArgs?: string[] }): Promise<Running> {
  const { base, server } = await startServer({
    bundle: options.entry,
    port: options.port,
    wrap: ['taskset', '-c', options.cpus],
    nodeArgs: options.nodeArgs ?? [],
    env: { WEB_CONCURRENCY: String(options.webConcurrency) },
    quiet: true,
  });
  // Workers of a cluster may come up after the primary answers /healthz: give them a moment.
  await new Promise((r) => setTimeout(r, options.webConcurrency > 1 ? 1500 : 200));
  return { base, server, processes: nodeProcessesOf(server.pid!) };
}

export interface PeerConfig {
  port: number;
  idpCert: string;
  idpIssuer: string;
  spEntityId: string;
  acsUrl: string;
}

/** The node-saml peer under `taskset -c 0`, waited for until /healthz answers. */
export async function startPeer(config: PeerConfig): Promise<Running> {
  const server = spawn('taskset', ['-c', SERVER_CORE, process.execPath, '--import', 'tsx', 'bench/peer-node-saml.ts'], {
    cwd: root,
    env: { ...process.env, PEER_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${config.port}`;
  for (let i = 0; ; i++) {
    if (server.exitCode !== null) throw new Error(`peer exited with ${server.exitCode}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) return { base, server, processes: nodeProcessesOf(server.pid!) };
    } catch {
      // starting
    }
    if (i > 300) throw new Error('peer did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface PeerStats {
  accepted: number;
  refused: number;
  lastRefusal: string | null;
}

export async function peerStats(base: string): Promise<PeerStats> {
  return (await fetch(`${base}/stats`)).json() as Promise<PeerStats>;
}

export async function stop(running: Running, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  return stopServer(running.server, signal);
}
