import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
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

const LAUNCHER = 'DynamoDbLocalOnLoopback';
const LAUNCHER_SOURCE = join(__dirname, `${LAUNCHER}.java`);
const LAUNCHER_DIR = join(LOCAL_DIR, 'dynamodb', 'launcher');

/** Compiles the loopback launcher against the jar once (and again when its source changes): ~1 s, then cached. */
function ensureLauncher(classpath: string): string {
  const compiled = join(LAUNCHER_DIR, `${LAUNCHER}.class`);
  if (existsSync(compiled) && statSync(compiled).mtimeMs >= statSync(LAUNCHER_SOURCE).mtimeMs) return LAUNCHER_DIR;
  mkdirSync(LAUNCHER_DIR, { recursive: true });
  execFileSync('javac', ['-nowarn', '-cp', classpath, '-d', LAUNCHER_DIR, LAUNCHER_SOURCE], { stdio: ['ignore', 'ignore', 'inherit'] });
  return LAUNCHER_DIR;
}

/**
 * `-sharedDb` so every access key and region sees the same tables; `dbPath` persists data, otherwise in memory.
 * It listens on 127.0.0.1 only (`DynamoDbLocalOnLoopback.java`): the jar alone listens on every interface, and anyone
 * on the network could then read and write the local table with the dummy credentials published in this repository.
 */
export function startDynamoDbLocal(port: number, dbPath?: string): Service {
  const dir = ensureDynamoDbLocal();
  const storage = dbPath ? ['-dbPath', dbPath] : ['-inMemory'];
  if (dbPath) mkdirSync(dbPath, { recursive: true });
  const classpath = [join(dir, 'DynamoDBLocal.jar'), join(dir, 'DynamoDBLocal_lib', '*')].join(':');
  return startService('dynamodb-local', 'java', [
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-Xmx512m',
    '-cp',
    `${ensureLauncher(classpath)}:${classpath}`,
    LAUNCHER,
    ...storage,
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
  ], { cwd: LOCAL_DIR }); // it writes a metadata file into its working directory
}
