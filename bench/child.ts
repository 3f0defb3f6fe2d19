/**
 * The in-process sections run in child processes: each gets the functions' environment (configuration is read once
 * per process, at module load, as in Lambda) and its own table. Context in, result out, through JSON files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './serverless-config';

const running = new Set<ChildProcess>();

/** Stops every section child still running (used by the orchestrator's cleanup). */
export function killChildren(): void {
  for (const child of running) {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

/** Runs `bench/<script>` under tsx with `env`; its stdout/stderr go to `logFile`, progress lines (stderr) are echoed. */
export async function runSection<T>(script: string, context: unknown, env: Record<string, string>, workDir: string): Promise<T> {
  const base = script.replace(/\.ts$/, '');
  const contextFile = join(workDir, `${base}.context.json`);
  const resultFile = join(workDir, `${base}.result.json`);
  const logFile = join(workDir, `${base}.log`);
  writeFileSync(contextFile, JSON.stringify(context));
  writeFileSync(resultFile, '');
  const log = createWriteStream(logFile);
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'bench', script)], {
    cwd: ROOT,
    env: { ...env, BENCH_CONTEXT_FILE: contextFile, BENCH_RESULT_FILE: resultFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.stdout!.pipe(log, { end: false });
  child.stderr!.on('data', (chunk: Buffer) => {
    log.write(chunk);
    for (const line of chunk.toString().split('\n')) if (line.startsWith('  ')) process.stdout.write(`${line}\n`);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  running.delete(child);
  await new Promise<void>((resolve) => log.end(() => resolve()));
  const text = readFileSync(resultFile, 'utf8');
  if (code !== 0 || !text) {
    const tail = readFileSync(logFile, 'utf8').split('\n').slice(-25).join('\n');
    throw new Error(`${script} exited with ${code}; last lines of ${logFile}:\n${tail}`);
  }
  return JSON.parse(text) as T;
}

/** In a section child: its context, a progress logger, and how to hand back the result. */
export function sectionIo<C>() {
  const context = JSON.parse(readFileSync(process.env.BENCH_CONTEXT_FILE!, 'utf8')) as C;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const done = (result: unknown) => {
    writeFileSync(process.env.BENCH_RESULT_FILE!, JSON.stringify(result));
    process.exit(0);
  };
  return { context, log, done };
}
