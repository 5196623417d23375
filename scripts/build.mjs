/**
 * `npm run build` (and the first step of `npm start`): bundles src/node.ts into dist/node.js with
 * esbuild (dependencies stay in node_modules) and copies the migrations beside it, where the bundle
 * looks for them. Plain JavaScript so it runs without a TypeScript loader: it takes ~50 ms, which is
 * why `npm start` builds and runs the bundle instead of compiling every file through tsx at start.
 *
 * Safe to run while a server runs from dist/ (or while another build runs): each output is written
 * to a temporary file and renamed over the old one, and migrations are only written when they differ.
 */
import { build } from 'esbuild';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

async function writeAtomically(path, contents) {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, path);
}

const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/node.ts'],
  outfile: join(dist, 'node.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  write: false,
});
for (const file of result.outputFiles) await writeAtomically(file.path, file.contents);

// dist/drizzle mirrors drizzle/: changed files rewritten, files gone from drizzle/ removed.
async function files(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}
const source = join(root, 'drizzle');
const target = join(dist, 'drizzle');
const wanted = await files(source);
for (const name of wanted) {
  const contents = await readFile(join(source, name));
  const current = await readFile(join(target, name)).catch(() => null);
  if (!current || !current.equals(contents)) await writeAtomically(join(target, name), contents);
}
for (const name of await files(target)) {
  if (!wanted.includes(name)) await rm(join(target, name));
}
