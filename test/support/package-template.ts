import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };
export type Template = Record<string, Resource>;

const ROOT = join(__dirname, '..', '..');
/** Build output and local state that each packaging run must have to itself. */
const PRIVATE = new Set(['.serverless', '.esbuild', '.git', '.local', 'coverage', 'test-results']);
const dirs: string[] = [];
/** The template's Conditions, by the Resources object `packageWith` returned. */
export const conditionsOf = new WeakMap<Template, Record<string, unknown>>();

/**
 * `serverless package` offline, as `npm run package` does, with the given settings (environment variables); returns
 * the template's Resources. It runs in a service folder of its own (the checkout's files, symlinked):
 * serverless-esbuild always copies zips into `<service>/.serverless`, so packages running at the same time in one
 * folder would delete each other's.
 */
export async function packageWith(env: Record<string, string>): Promise<Template> {
  const dir = mkdtempSync(join(tmpdir(), 'sls-package-'));
  dirs.push(dir);
  for (const entry of readdirSync(ROOT)) if (!PRIVATE.has(entry)) symlinkSync(join(ROOT, entry), join(dir, entry));
  // The framework takes the service folder from the real path of its config: that one file is copied.
  rmSync(join(dir, 'serverless.yml'));
  copyFileSync(join(ROOT, 'serverless.yml'), join(dir, 'serverless.yml'));
  try {
    await promisify(execFile)(join(ROOT, 'node_modules', '.bin', 'serverless'), ['package', '--stage', 'prod', '--package', 'out'], {
      cwd: dir,
      env: {
        ...process.env, AWS_ACCESS_KEY_ID: 'offline', AWS_SECRET_ACCESS_KEY: 'offline', AWS_REGION: 'eu-west-1',
        SLS_TELEMETRY_DISABLED: '1', ESBUILD_WORK_FOLDER: '.esbuild', ...env,
      },
    });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`serverless package failed with ${JSON.stringify(env)}:\n${stdout}\n${stderr}`);
  }
  const template = JSON.parse(readFileSync(join(dir, 'out', 'cloudformation-template-update-stack.json'), 'utf8'));
  conditionsOf.set(template.Resources, template.Conditions ?? {});
  return template.Resources;
}

/** Removes every folder `packageWith` made. */
export function removePackages() {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export const ofType = (t: Template, type: string) => Object.entries(t).filter(([, r]) => r.Type === type);
export const statements = (t: Template, role: string) => t[role]!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
