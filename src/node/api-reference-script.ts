/**
 * The Scalar standalone script for GET /docs/scalar.js on Node: the browser bundle shipped inside the
 * @scalar/api-reference package, read once from node_modules and kept in memory (about 4 MiB).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ApiReferenceScript } from '../http/routes/docs.js';

/** Where the package keeps its browser bundle (its "browser" entry). */
export function apiReferenceScriptPath(): string {
  const entry = createRequire(import.meta.url).resolve('@scalar/api-reference');
  return join(dirname(entry), 'browser', 'standalone.js');
}

let cached: Promise<Uint8Array> | null = null;

export const nodeApiReferenceScript: ApiReferenceScript = () => {
  cached ??= readFile(apiReferenceScriptPath()).then((buffer) => new Uint8Array(buffer));
  // A failed read (package missing) is retried on the next request rather than cached.
  cached.catch(() => {
    cached = null;
  });
  return cached;
};
