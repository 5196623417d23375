/**
 * Builds the Worker as `wrangler deploy --dry-run` would upload it and refuses the bundle if PGlite is
 * in it or it is over 1 MiB gzipped. Prints raw and gzipped sizes. Offline: no metrics, no cf fetch.
 *
 *   npm run check:worker-bundle                 # the real entry (wrangler.toml main)
 *   npm run check:worker-bundle -- --self-test  # also proves the guard refuses an entry importing PGlite
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const LIMIT_GZIP_BYTES = 1024 * 1024;
const root = resolve(import.meta.dirname, '..');
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
const SELF_TEST_ENTRY = 'test/worker/fixtures/worker-importing-pglite.ts';

interface BundleReport {
  files: { name: string; raw: number; gzip: number }[];
  raw: number;
  gzip: number;
  wranglerSays: string | null;
  /** Every mention of PGlite except the string literal "pglite" (the database kind in the health schema). */
  pgliteMentions: string[];
}

/** Mentions of PGlite, any case, except the exact string literal "pglite" or 'pglite'. */
function pgliteMentionsIn(text: string): string[] {
  const mentions: string[] = [];
  for (const match of text.matchAll(/pglite/gi)) {
    const at = match.index;
    const before = text[at - 1];
    const isKindLiteral = match[0] === 'pglite' && (before === '"' || before === "'") && text[at + 6] === before;
    if (!isKindLiteral) mentions.push(text.slice(Math.max(0, at - 40), at + 46).replace(/\s+/g, ' '));
  }
  return mentions;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

function build(entry: string | null): BundleReport {
  const outdir = mkdtempSync(join(tmpdir(), 'worker-bundle-'));
  try {
    const args = ['deploy', ...(entry ? [entry] : []), '--dry-run', '--outdir', outdir];
    const run = spawnSync(wrangler, args, {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' },
    });
    const output = `${run.stdout}\n${run.stderr}`;
    if (run.status !== 0) throw new Error(`wrangler ${args.join(' ')} failed (exit ${run.status}):\n${output}`);
    const files = readdirSync(outdir)
      .filter((name) => !name.endsWith('.map') && name !== 'README.md' && statSync(join(outdir, name)).isFile())
      .map((name) => {
        const content = readFileSync(join(outdir, name));
        return { name, content, raw: content.length, gzip: gzipSync(content, { level: 9 }).length };
      });
    const pgliteMentions = files.flatMap(({ name, content }) => pgliteMentionsIn(content.toString('latin1')).map((m) => `${name}: ${m}`));
    return {
      files: files.map(({ name, raw, gzip }) => ({ name, raw, gzip })),
      raw: files.reduce((sum, file) => sum + file.raw, 0),
      gzip: files.reduce((sum, file) => sum + file.gzip, 0),
      wranglerSays: /Total Upload: .*/.exec(output)?.[0] ?? null,
      pgliteMentions,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The problems that make the bundle unacceptable; empty when it passes. */
function problemsOf(report: BundleReport): string[] {
  const problems: string[] = [];
  if (report.pgliteMentions.length > 0) {
    problems.push(`PGlite is in the Worker bundle (${report.pgliteMentions.length} mentions):\n    ${report.pgliteMentions.slice(0, 5).join('\n    ')}`);
  }
  if (report.gzip > LIMIT_GZIP_BYTES) problems.push(`the bundle is ${kib(report.gzip)} gzipped, over the ${kib(LIMIT_GZIP_BYTES)} limit`);
  return problems;
}

function print(label: string, report: BundleReport) {
  console.log(`${label}: ${kib(report.raw)} raw / ${kib(report.gzip)} gzip (${report.raw} / ${report.gzip} bytes, gzip -9)`);
  for (const file of report.files) console.log(`  ${file.name}: ${kib(file.raw)} raw / ${kib(file.gzip)} gzip`);
  if (report.wranglerSays) console.log(`  wrangler: ${report.wranglerSays}`);
  console.log(`  PGlite mentions: ${report.pgliteMentions.length}`);
}

const report = build(null);
print('Worker bundle', report);
const problems = problemsOf(report);

if (process.argv.includes('--self-test')) {
  // An entry that imports PGlite: the [alias] stub replaces it, and the stub itself must be caught.
  const bad = build(SELF_TEST_ENTRY);
  print(`Self-test bundle (${SELF_TEST_ENTRY})`, bad);
  if (problemsOf(bad).length === 0) problems.push('self-test: a bundle that imports PGlite was not refused');
  else console.log('  refused, as it must be');
}

if (problems.length > 0) {
  console.error(`\nWorker bundle check FAILED:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`\nWorker bundle check passed: no PGlite, ${kib(report.gzip)} gzipped <= ${kib(LIMIT_GZIP_BYTES)}.`);
