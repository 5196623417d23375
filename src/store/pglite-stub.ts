/**
 * What the Worker build resolves `@electric-sql/pglite` and `drizzle-orm/pglite` to (wrangler.toml
 * `[alias]`): PGlite needs a filesystem and a 10 MB wasm image, so in workerd it can only fail. Any
 * import fails loudly at module evaluation, and scripts/check-worker-bundle.ts refuses the bundle.
 */
const message = 'PGlite is not available in Cloudflare Workers: use Postgres through Hyperdrive (src/worker.ts).';

function unavailable(): never {
  throw new Error(message);
}

export class PGlite {
  static create(): never {
    return unavailable();
  }
  constructor() {
    unavailable();
  }
}
export const drizzle = unavailable;
export const migrate = unavailable;

unavailable();
