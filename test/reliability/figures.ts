import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Each reliability test appends what it tried (cases, races, faults) to a JSON-lines file; `npm test` then has
 * test/reliability/report.ts turn it into docs/RELIABILITY.md, so the document always shows the last run's figures.
 */
export const FIGURES_FILE = join(__dirname, '..', '..', '.local', 'reliability-figures.jsonl');

export function recordFigure(name: string, figures: Record<string, number | string>): void {
  mkdirSync(join(FIGURES_FILE, '..'), { recursive: true });
  appendFileSync(FIGURES_FILE, `${JSON.stringify({ name, ...figures })}\n`);
}
