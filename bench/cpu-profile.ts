/**
 * Reads the V8 CPU profiles a `node --cpu-prof` server wrote and says where its time went during the
 * load: self time per category (a dependency, our src/saml, the rest of our src, node's own code,
 * native code and GC, idle), in % of the window and µs per sign-in.
 *
 * The bundle (dist/node.js) is mapped back to src/ through its source map (node:module SourceMap),
 * since esbuild puts all of src/ in one file. Samples are kept only inside the load window: V8's
 * profile timestamps and process.hrtime both read CLOCK_MONOTONIC on Linux, so the load generator's
 * window cuts the server's profile without start-up (migrations) or shutdown in it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface CategoryTime {
  category: string;
  us: number;
}

export interface ProfileSummary {
  files: number;
  /** µs of samples inside the window (all processes), idle included. */
  windowUs: number;
  /** True when no sample fell in the window and the whole profile was used instead. */
  wholeProfile: boolean;
  categories: CategoryTime[];
  /** The functions with the most self time: `name (source:line)` and its category. */
  functions: Array<{ name: string; category: string; us: number }>;
}

const PACKAGE_CATEGORY: Record<string, string> = {
  '@xmldom/xmldom': 'xmldom',
  'xml-crypto': 'xml-crypto',
  xpath: 'xpath (xml-crypto, samlify)',
  samlify: 'samlify',
  postgres: 'postgres (postgres.js)',
  hono: 'hono',
  '@hono/node-server': 'hono',
  'drizzle-orm': 'drizzle',
};

/** Names of node:crypto's C++ methods as they show in a profile (the JS around them is node:internal/crypto). */
const CRYPTO_NATIVES =
  /^(verify|sign|digest|update|final|init|initVerify|initSign|oneShotDigest|publicDecrypt|privateDecrypt|publicEncrypt|privateEncrypt|createNativeKeyObject|getAsymmetricKeyType|getAsymmetricKeyDetails|export|equals|timingSafeEqual|randomFillSync|getRandomValues|certVerify|.*Job)$/;

function packageOf(path: string): string | null {
  const at = path.lastIndexOf('/node_modules/');
  if (at < 0) return null;
  const parts = path.slice(at + '/node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? null);
}

function fromPath(path: string): string {
  const pkg = packageOf(path);
  if (pkg) return PACKAGE_CATEGORY[pkg] ?? `other deps (${pkg})`;
  if (/(^|\/)src\/saml\//.test(path)) return 'our src/saml';
  if (/(^|\/)src\//.test(path)) return 'our src other';
  return `other (${path.split('/').slice(-2).join('/')})`;
}

/** Maps positions of a bundle back to its sources; one SourceMap per bundle file, read once. */
class Mapper {
  private readonly maps = new Map<string, SourceMap | null>();

  private mapFor(file: string): SourceMap | null {
    if (!this.maps.has(file)) {
      let map: SourceMap | null = null;
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
      } catch {
        // no map: categorised by the bundle's own path
      }
      this.maps.set(file, map);
    }
    return this.maps.get(file) ?? null;
  }

  /** The category of a frame and where it is (the original source line for the bundle). */
  place(frame: CallFrame): { category: string; where: string } {
    const category = this.category(frame);
    const name = frame.functionName || '(anonymous)';
    if (!frame.url) return { category, where: name };
    const file = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
    const map = file.endsWith('.js') && !file.includes('/node_modules/') ? this.mapFor(file) : null;
    const entry = map ? (map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number }) : {};
    const source = entry.originalSource ? `${entry.originalSource.replace(/^(\.\.\/)+/, '')}:${(entry.originalLine ?? 0) + 1}` : `${file.replace(/^.*\/node_modules\//, '')}:${frame.lineNumber + 1}`;
    return { category, where: `${name} (${source})` };
  }

  category(frame: CallFrame): string {
    const { url, functionName } = frame;
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    if (functionName === '(root)') return '(root)';
    if (url === '') return CRYPTO_NATIVES.test(functionName) ? 'node crypto/native' : 'native (other: sockets, microtasks, ...)';
    if (url.startsWith('node:internal/crypto') || url === 'node:crypto') return 'node crypto/native';
    if (url.startsWith('node:')) return 'node core (JS: http, streams, ...)';
    const file = url.startsWith('file://') ? fileURLToPath(url) : url;
    const map = file.endsWith('.js') && !file.includes('/node_modules/') ? this.mapFor(file) : null;
    if (map) {
      const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string };
      if (entry.originalSource) return fromPath(entry.originalSource);
    }
    return fromPath(file);
  }
}

/** Self time per category of every .cpuprofile in `dir`, cut to `windowUs` (hrtime µs) when given. */
export function summarizeProfiles(dir: string, windowUs: [number, number] | null): ProfileSummary {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const mapper = new Mapper();
  const add = (totals: Map<string, number>, profile: CpuProfile, cut: boolean) => {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parentOf = new Map<number, number>();
    for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);
    // A native function (no url) is named with its nearest caller outside node's own code, which says
    // who pays for it: "writeBuffer < write (postgres/src/connection.js:...)".
    const describe = (node: ProfileNode) => {
      const place = mapper.place(node.callFrame);
      if (node.callFrame.url !== '' || node.callFrame.functionName.startsWith('(')) return place;
      for (let up = parentOf.get(node.id); up !== undefined; up = parentOf.get(up)) {
        const caller = byId.get(up);
        if (caller && caller.callFrame.url !== '' && !caller.callFrame.url.startsWith('node:')) return { ...place, where: `${place.where} < ${mapper.place(caller.callFrame).where}` };
      }
      return place;
    };
    const placeOf = new Map<number, { category: string; where: string }>();
    let t = profile.startTime;
    let inside = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      t += profile.timeDeltas[i] ?? 0;
      // A sample stands for the interval up to the next one.
      const span = profile.timeDeltas[i + 1] ?? 0;
      if (cut && windowUs && (t < windowUs[0] || t > windowUs[1])) continue;
      const id = profile.samples[i]!;
      let place = placeOf.get(id);
      if (place === undefined) {
        const node = byId.get(id);
        place = node ? describe(node) : { category: 'unknown', where: 'unknown' };
        placeOf.set(id, place);
      }
      if (place.category === '(root)') continue;
      totals.set(place.category, (totals.get(place.category) ?? 0) + span);
      const fn = functions.get(place.where) ?? { category: place.category, us: 0 };
      fn.us += span;
      functions.set(place.where, fn);
      inside += span;
    }
    return inside;
  };
  const profiles = files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile);
  let totals = new Map<string, number>();
  let functions = new Map<string, { category: string; us: number }>();
  let windowTotal = profiles.reduce((sum, p) => sum + add(totals, p, true), 0);
  let wholeProfile = false;
  if (windowTotal === 0) {
    // The clocks did not line up (not Linux?): the whole profile, start-up included, is better than nothing.
    totals = new Map();
    functions = new Map();
    windowTotal = profiles.reduce((sum, p) => sum + add(totals, p, false), 0);
    wholeProfile = true;
  }
  const categories = [...totals].map(([category, us]) => ({ category, us })).sort((a, b) => b.us - a.us);
  const top = [...functions]
    .filter(([, f]) => f.category !== 'idle')
    .map(([name, f]) => ({ name, ...f }))
    .sort((a, b) => b.us - a.us)
    .slice(0, 15);
  return { files: files.length, windowUs: windowTotal, wholeProfile, categories, functions: top };
}
