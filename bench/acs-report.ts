/** Tables, targets and the JSON line of the ACS benchmark (formatting only; acs.ts measures). */
import type { LoadResult } from './acs-load.js';
import type { ProfileSummary } from './cpu-profile.js';

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const num = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
export const round = (x: number, digits = 3): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : NaN);

const cells = (r: LoadResult | undefined) =>
  r ? [num(r.perSecond), num(r.p50, 1), num(r.p99, 1), `${r.errors}/${r.timeouts}`] : ['-', '-', '-', '-'];

/** One row per point: product and peer side by side, and product/peer sign-ins per second. */
export function comparisonTable(title: string, rows: Array<{ label: string; product?: LoadResult; peer?: LoadResult }>): string {
  const header = ['point', 'product/s', 'p50 ms', 'p99 ms', 'err/t.o.', 'peer/s', 'p50 ms', 'p99 ms', 'err/t.o.', 'ratio'];
  const body = rows.map(({ label, product, peer }) => [
    label,
    ...cells(product),
    ...cells(peer),
    product && peer ? `${num(product.perSecond / peer.perSecond, 2)}x` : '-',
  ]);
  return table(title, header, body);
}

export function table(title: string, header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [`\n${title}`, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function profileTable(summary: ProfileSummary, signIns: number, top = 12): string {
  const busy = summary.categories.filter((c) => c.category !== 'idle').reduce((s, c) => s + c.us, 0);
  const rows = summary.categories.slice(0, top).map((c) => [
    c.category,
    `${num((100 * c.us) / summary.windowUs, 1)}%`,
    c.category === 'idle' ? '-' : `${num((100 * c.us) / busy, 1)}%`,
    num(c.us / signIns),
  ]);
  rows.push(['busy total (all but idle)', `${num((100 * busy) / summary.windowUs, 1)}%`, '100%', num(busy / signIns)]);
  const note = summary.wholeProfile ? ' (whole profile: the load window matched no sample)' : '';
  const byCategory = table(
    `CPU profile of the product, self time during ${signIns} okta8k sign-ins at 8 connections, ${summary.files} profile file(s)${note}`,
    ['category', '% window', '% busy', 'µs/sign-in'],
    rows,
  );
  const byFunction = table(
    'Top functions by self time (same window)',
    ['function (source:line)', 'category', '% busy', 'µs/sign-in'],
    summary.functions.map((f) => [f.name.slice(0, 110), f.category, `${num((100 * f.us) / busy, 1)}%`, num(f.us / signIns)]),
  );
  return `${byCategory}\n${byFunction}`;
}

export interface Target {
  name: string;
  value: number;
  /** Human form of the threshold, e.g. ">= 2". */
  want: string;
  pass: boolean;
}

/** PASS/FAIL per target; SKIP when the figure was not measured (e.g. BENCH_WEB_CONCURRENCY=0). */
export function targetLines(targets: Target[]): string {
  const verdict = (t: Target) => (Number.isFinite(t.value) ? (t.pass ? 'PASS' : 'FAIL') : 'SKIP');
  return targets.map((t) => `${verdict(t)} ${t.name}: ${num(t.value, 2)} (target ${t.want})`).join('\n');
}
