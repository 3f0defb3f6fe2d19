import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiText } from '../lib/api/openapi';

/**
 * `npm run openapi` regenerates docs/openapi.json from lib/api (the route table, the handlers' request schemas, the
 * response schemas); `npm run openapi -- --check` fails when the committed file differs (a unit test runs the same).
 */
export const OPENAPI_PATH = join(__dirname, '..', 'docs', 'openapi.json');

export const isOpenApiCurrent = (text = openApiText()) => {
  try {
    return readFileSync(OPENAPI_PATH, 'utf8') === text;
  } catch {
    return false;
  }
};

if (require.main === module) {
  if (process.argv[2] === '--check') {
    if (!isOpenApiCurrent()) {
      process.stderr.write('docs/openapi.json is out of date: run npm run openapi\n');
      process.exit(1);
    }
    process.stdout.write('docs/openapi.json is up to date\n');
  } else {
    writeFileSync(OPENAPI_PATH, openApiText());
    process.stdout.write('wrote docs/openapi.json\n');
  }
}
