/** Inside workerd: the Worker under test (src/worker.ts, the pool's `main`) as a fetch function, and its env. */
import { env, exports } from 'cloudflare:workers';
import type { WorkerEnv } from '../../src/worker.js';
import type { Fetch } from './http.js';

const main = exports as unknown as { default: { fetch(request: Request): Promise<Response> } };

/** Requests through the Worker's exported fetch handler, with the bindings of wrangler.toml + the test secrets. */
export const worker: Fetch = (request) => main.default.fetch(request);

export const workerEnv = env as unknown as WorkerEnv;
