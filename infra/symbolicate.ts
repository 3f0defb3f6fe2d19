/**
 * Maps a stack trace logged by a deployed function back to the TypeScript sources, offline.
 *
 * The functions run without `--enable-source-maps` (parsing the map at load is ~45 ms of every cold start,
 * docs/BENCHMARKS.md), so their logged traces point into the minified bundle (`/var/task/functions/x.js:1:23456`).
 * Each zip carries its bundle's `.map`; give it here and paste the trace (a Powertools log line as it is works too):
 *
 *   unzip -p .serverless/createTicket.zip functions/create-ticket.js.map > /tmp/create-ticket.js.map
 *   npx tsx infra/symbolicate.ts /tmp/create-ticket.js.map < trace.txt
 *
 * Only frames in the map's own bundle are rewritten; Node's internal frames are left as they are. Node's own
 * source-map reader (`module.SourceMap`) does the mapping.
 */
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { basename } from 'node:path';

/** `…/name.js:LINE:COL` in a trace (plain, or inside a JSON-escaped log line). */
const FRAME = /([^\s()"'\\]*?([^\s()"'\\/]+\.[cm]?js)):(\d+):(\d+)/g;

/** Rewrites the frames of `bundleName` (e.g. `create-ticket.js`, the map's file name without `.map`) in `trace`. */
export function symbolicate(trace: string, payload: SourceMapPayload, bundleName: string): string {
  const map = new SourceMap(payload);
  const bundle = basename(bundleName);
  return trace.replace(FRAME, (whole, _path: string, file: string, line: string, column: string) => {
    if (file !== bundle) return whole;
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as Partial<{ originalSource: string; originalLine: number; originalColumn: number }>;
    if (!entry.originalSource || entry.originalLine === undefined) return whole;
    // Sources are relative to the map's folder in the build output (`../../../lib/x.ts`): keep the repository path.
    const source = entry.originalSource.replace(/^(?:\.\.\/)+/, '').replace(/^.*node_modules\//, 'node_modules/');
    return `${source}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
  });
}

if (require.main === module) {
  const mapFile = process.argv[2];
  if (!mapFile) {
    process.stderr.write('usage: npx tsx infra/symbolicate.ts <bundle.js.map> < trace.txt\n');
    process.exit(2);
  }
  const payload = JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload;
  process.stdout.write(symbolicate(readFileSync(0, 'utf8'), payload, basename(mapFile).replace(/\.map$/, '')));
}
