/**
 * The layers keep their seams: `core/` is pure rules (it imports only itself), the SAML and SCIM
 * layers never reach the HTTP layer or the database, and routes reach the database only through
 * `services/` (no route imports `store/` or runs SQL). Each offender is named by file and import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

interface Import {
  file: string;
  specifier: string;
  /** The imported file relative to src/ (for relative imports), else null. */
  target: string | null;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2] ?? match[3]!;
    const target = specifier.startsWith('.') ? relative(src, resolve(dirname(file), specifier)) : null;
    out.push({ file: relative(src, file), specifier, target });
  }
  return out;
}

const all = sourceFiles(src).flatMap(importsOf);
const offenders = (inLayer: (i: Import) => boolean, refused: (i: Import) => boolean) =>
  all.filter((i) => inLayer(i) && refused(i)).map((i) => `${i.file} imports ${i.specifier}`);
const under = (folder: string) => (path: string | null) => path !== null && (path === folder || path.startsWith(`${folder}/`));

describe('layer boundaries', () => {
  it('reads the imports of the source tree', () => {
    // The scan itself must see the tree: a broken pattern would make every check below pass vacuously.
    expect(all.length).toBeGreaterThan(300);
    expect(all.some((i) => i.file === 'app.ts' && i.target !== null)).toBe(true);
  });

  it('core/ imports nothing outside core/ (no package, no Node built-in)', () => {
    expect(
      offenders(
        (i) => under('core')(i.file),
        (i) => i.target === null || !under('core')(i.target),
      ),
    ).toEqual([]);
  });

  it('saml/ and scim/ never import http/ or store/', () => {
    expect(
      offenders(
        (i) => under('saml')(i.file) || under('scim')(i.file),
        (i) => under('http')(i.target) || under('store')(i.target),
      ),
    ).toEqual([]);
  });

  it('routes never import store/ nor drizzle (the database is reached through services/)', () => {
    expect(
      offenders(
        (i) => under('http/routes')(i.file),
        (i) => under('store')(i.target) || i.specifier.startsWith('drizzle-orm') || i.specifier === 'postgres' || i.specifier.startsWith('@electric-sql/'),
      ),
    ).toEqual([]);
  });
});
