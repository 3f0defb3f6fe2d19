import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The figures of the reliability suite (cases tried, races run, faults injected) as JSON lines, one file per test file:
 * `.local/reliability/<test file>.jsonl`. A test file removes its own file when it starts and writes it whole when it
 * ends (write to a temporary file, then rename), so parallel test files never touch the same file, a second run of the
 * suite in the same checkout cannot interleave lines with this one, and a test file that did not finish leaves no
 * figures at all. `test/reliability/report.ts` merges the files into the table in docs/RELIABILITY.md.
 *
 * Only deterministic values belong here (fixed fast-check seeds, fixed round counts, ids pinned per run): the document
 * states them and `npm test` must reproduce them exactly. Timings and race winners vary per run and are not recorded.
 */
export const FIGURES_DIR = join(fileURLToPath(new URL('../../', import.meta.url)), '.local', 'reliability');

export type Figures = Record<string, number | string>;
export type RecordFigure = (name: string, figures: Figures) => void;

/**
 * Call once at the top of a test file, with vitest's `afterAll`: returns the function that records a figure. (The hook
 * is passed in so that this module, which report.ts also loads, does not import vitest.)
 */
export function figureLog(testFileUrl: string, afterAll: (fn: () => void) => void): RecordFigure {
  const source = basename(fileURLToPath(testFileUrl)).replace(/\.test\.ts$/, '');
  const file = join(FIGURES_DIR, `${source}.jsonl`);
  rmSync(file, { force: true });
  const lines: string[] = [];
  afterAll(() => {
    mkdirSync(FIGURES_DIR, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, lines.join(''));
    renameSync(temporary, file);
  });
  return (name, figures) => {
    lines.push(`${JSON.stringify({ name, ...figures })}\n`);
  };
}
