import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventSchemaFiles } from '../lib/events/schemas';

/**
 * `npm run events:schemas -- --write` regenerates docs/events/*.json from lib/events; `--check` (CI, and a unit test)
 * fails when they differ from what the code publishes.
 */
const DIR = join(__dirname, '..', 'docs', 'events');

function main() {
  const files = eventSchemaFiles();
  const mode = process.argv[2];
  if (mode === '--write') {
    mkdirSync(DIR, { recursive: true });
    for (const name of readdirSync(DIR)) if (name.endsWith('.json') && !(name in files)) rmSync(join(DIR, name));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(DIR, name), content);
    process.stdout.write(`wrote ${Object.keys(files).length} schemas to docs/events/\n`);
    return;
  }
  if (mode === '--check') {
    const stale = staleSchemas(files);
    if (stale.length > 0) {
      process.stderr.write(`docs/events is out of date (${stale.join(', ')}): run npm run events:schemas -- --write\n`);
      process.exit(1);
    }
    process.stdout.write('docs/events is up to date\n');
    return;
  }
  process.stderr.write('usage: npm run events:schemas -- --write | --check\n');
  process.exit(2);
}

/** Files that are missing, different or left over. */
export function staleSchemas(files: Record<string, string> = eventSchemaFiles()): string[] {
  const present = readdirSync(DIR).filter((n) => n.endsWith('.json'));
  const read = (name: string) => {
    try {
      return readFileSync(join(DIR, name), 'utf8');
    } catch {
      return undefined;
    }
  };
  return [
    ...Object.entries(files).filter(([name, content]) => read(name) !== content).map(([name]) => name),
    ...present.filter((name) => !(name in files)),
  ];
}

if (require.main === module) main();
