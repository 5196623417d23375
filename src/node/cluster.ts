/**
 * The cluster's primary process (WEB_CONCURRENCY > 1): forks the workers that share the port through
 * node:cluster, replaces one that dies (giving up on a crash loop), restarts them one at a time on
 * SIGHUP, and on SIGTERM/SIGINT lets each drain through its own single-process shutdown.
 *
 * The primary serves nothing and keeps no database open; with the default round-robin scheduling it
 * holds the listening socket and hands connections to the workers, which is why the port keeps
 * answering through a rolling restart as long as one worker is registered at every moment.
 */
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';

/** What the primary sends a worker to retire it (src/node/serve.ts answers it). */
export const DRAIN_MESSAGE = 'bridge:drain';

/**
 * Set in the environment of the workers this primary forks. cluster.isWorker alone would also be true
 * under another cluster manager (pm2's cluster mode), whose processes must run the plain server.
 */
const WORKER_MARK = 'BRIDGE_CLUSTER_WORKER';

export const isBridgeWorker = (): boolean => cluster.isWorker && process.env[WORKER_MARK] === '1';

/**
 * More unplanned exits than this (or than two per process, for a large cluster) within
 * CRASH_WINDOW_MS: something is wrong that restarts will not fix.
 */
const CRASH_LIMIT = 5;
const CRASH_WINDOW_MS = 60_000;
/** A worker not listening by then is killed and counts as failed to start. */
const START_TIMEOUT_MS = 60_000;
/** A worker's own shutdown gives up after 10 s; this is the primary's backstop. */
const STOP_TIMEOUT_MS = 15_000;

export interface SupervisorOptions {
  processes: number;
  /** Added to each worker's environment (the secrets the primary generated in development). */
  workerEnv: Record<string, string>;
  publicUrl: string;
  /** Before a rolling restart forks its first new worker: a new build may bring migrations. */
  beforeRollingRestart: () => Promise<void>;
  log: (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;
}

const describeExit = (code: number | null, signal: string | null) => (signal ? `killed by ${signal}` : `exit code ${code}`);

export async function superviseWorkers(options: SupervisorOptions): Promise<void> {
  const { log } = options;
  const crashLimit = Math.max(CRASH_LIMIT, 2 * options.processes);
  /** Every forked worker still alive. */
  const all = new Set<Worker>();
  /** Listening workers counted as serving (not being retired). */
  const serving = new Set<Worker>();
  const retiring = new Set<Worker>();
  const crashes: number[] = [];
  const pendingRestarts = new Set<ReturnType<typeof setTimeout>>();
  let port: number | undefined;
  let stopping = false;
  let exitCode = 0;
  let rolling = false;

  const pids = () => [...serving].map((worker) => worker.process.pid);
  const exitWhenAllGone = () => {
    if (stopping && all.size === 0) process.exit(exitCode);
  };

  /** Forks a worker; resolves once it listens, rejects if it exits (or hangs) before that. */
  function startWorker(): Promise<Worker> {
    const worker = cluster.fork({ ...options.workerEnv, [WORKER_MARK]: '1' });
    all.add(worker);
    // A send to a worker that just died reports here; the exit handler deals with the death itself.
    worker.on('error', (error) => log('warn', 'worker channel error', { pid: worker.process.pid, error: error.message }));
    return new Promise((resolve, reject) => {
      let listening = false;
      const timer = setTimeout(() => worker.process.kill('SIGKILL'), START_TIMEOUT_MS);
      worker.once('listening', (address: { port: number }) => {
        listening = true;
        clearTimeout(timer);
        port = address.port;
        serving.add(worker);
        resolve(worker);
      });
      worker.once('exit', (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        all.delete(worker);
        serving.delete(worker);
        if (!listening) reject(new Error(`a worker (process ${worker.process.pid}) did not start: ${describeExit(code, signal)}`));
        else if (retiring.delete(worker) || stopping) {
          // planned
        } else unplannedExit(`worker ${worker.process.pid} ${describeExit(code, signal)}`);
        exitWhenAllGone();
      });
    });
  }

  /** A worker died (or its replacement failed to start): start another after a back-off, or give up. */
  function unplannedExit(what: string) {
    if (stopping) return;
    const now = Date.now();
    crashes.push(now);
    while (crashes[0]! < now - CRASH_WINDOW_MS) crashes.shift();
    if (crashes.length > crashLimit) {
      log('error', 'workers keep exiting: giving up', { last: what, exits: crashes.length, withinSeconds: CRASH_WINDOW_MS / 1000 });
      stop('crash loop', 1);
      return;
    }
    // 0.1 s, then doubling with each recent exit: a worker that cannot run does not spin the CPU.
    const delayMs = Math.min(100 * 2 ** (crashes.length - 1), 5_000);
    log('warn', 'worker exited', { what, restartInMs: delayMs });
    const timer = setTimeout(() => {
      pendingRestarts.delete(timer);
      if (stopping) return;
      startWorker().then(
        (worker) => log('info', 'worker started', { pid: worker.process.pid, processes: serving.size }),
        (error: Error) => unplannedExit(error.message),
      );
    }, delayMs);
    pendingRestarts.add(timer);
  }

  /** Tells a worker to drain and waits for it to exit. */
  async function retire(worker: Worker): Promise<void> {
    retiring.add(worker);
    serving.delete(worker);
    const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.send({ cmd: DRAIN_MESSAGE });
    const timer = setTimeout(() => worker.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await gone;
    clearTimeout(timer);
  }

  /** SIGHUP: each current worker in turn is replaced by a new one that listens before the old one drains. */
  async function rollingRestart() {
    if (stopping) return;
    if (rolling) {
      log('warn', 'rolling restart already in progress');
      return;
    }
    rolling = true;
    const old = [...serving];
    log('info', 'rolling restart', { processes: old.length, pids: pids() });
    try {
      await options.beforeRollingRestart();
      for (const worker of old) {
        if (stopping) return;
        // Exited meanwhile: the crash path is already replacing it.
        if (!serving.has(worker)) continue;
        // If the new one cannot start, this throws and the old ones keep serving.
        await startWorker();
        await retire(worker);
      }
      if (!stopping) log('info', 'rolling restart done', { processes: serving.size, pids: pids() });
    } catch (error) {
      if (!stopping) log('error', 'rolling restart stopped; the remaining workers keep serving', { error: (error as Error).message });
    } finally {
      rolling = false;
    }
  }

  /** Every worker gets SIGTERM (its own graceful shutdown); the primary exits when all are gone. */
  function stop(signal: string, code: number) {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    for (const timer of pendingRestarts) clearTimeout(timer);
    log(code === 0 ? 'info' : 'error', 'shutting down', { signal, processes: all.size });
    for (const worker of all) worker.process.kill('SIGTERM');
    setTimeout(() => {
      for (const worker of all) worker.process.kill('SIGKILL');
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
    exitWhenAllGone();
  }

  process.on('SIGINT', () => stop('SIGINT', 0));
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('SIGHUP', () => void rollingRestart());

  // The first worker alone: a port in use or a bad setting is then reported once, not once per worker.
  try {
    await startWorker();
    await Promise.all(Array.from({ length: options.processes - 1 }, () => startWorker()));
  } catch (error) {
    if (stopping) return;
    log('error', 'failed to start', { error: (error as Error).message });
    stop('start-up failure', 1);
    return;
  }
  if (!stopping) log('info', 'listening', { port, publicUrl: options.publicUrl, processes: serving.size, pids: pids() });
}
