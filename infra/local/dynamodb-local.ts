import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startService, type Service } from './processes';

/** The official DynamoDB Local jar, as published inside this npm package (the npm registry is all we can reach). */
const PACKAGE = 'amplify-dynamodb-simulator@2.9.30';

export const LOCAL_DIR = join(__dirname, '..', '..', '.local');
const EMULATOR_DIR = join(LOCAL_DIR, 'dynamodb', 'package', 'emulator');

/** Fetches and unpacks the jar once (≈56 MB) into .local/; npm checks the tarball against the registry's integrity hash. */
export function ensureDynamoDbLocal(): string {
  const jar = join(EMULATOR_DIR, 'DynamoDBLocal.jar');
  if (existsSync(jar)) return EMULATOR_DIR;
  const target = join(LOCAL_DIR, 'dynamodb');
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  process.stderr.write(`Fetching DynamoDB Local (${PACKAGE}) into ${target} ...\n`);
  execFileSync('npm', ['pack', PACKAGE, '--silent', '--pack-destination', target], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = readdirSync(target).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack ${PACKAGE} produced no tarball`);
  execFileSync('tar', ['-xzf', join(target, tarball), '-C', target, 'package/emulator']);
  rmSync(join(target, tarball));
  return EMULATOR_DIR;
}

/** `-sharedDb` so every access key and region sees the same tables; `dbPath` persists data, otherwise in memory. */
export function startDynamoDbLocal(port: number, dbPath?: string): Service {
  const dir = ensureDynamoDbLocal();
  const storage = dbPath ? ['-dbPath', dbPath] : ['-inMemory'];
  if (dbPath) mkdirSync(dbPath, { recursive: true });
  return startService('dynamodb-local', 'java', [
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-Xmx512m',
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    ...storage,
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
  ], { cwd: LOCAL_DIR }); // it writes a metadata file into its working directory
}
