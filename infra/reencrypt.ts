import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { encryptionKeysFromEnv } from '../lib/config';
import { reencryptEnrollments, type ReencryptCheckpoint } from '../lib/enrollment/reencrypt';

const USAGE = `npm run reencrypt -- [--dry-run] [--page-size N] [--max-pages N] [--checkpoint FILE] [--restart]

Re-encrypts every enrolled TOTP secret under the first key of ENCRYPTION_KEYS (and the current, user-bound format),
so an older key can be removed afterwards (README "Keys"). Idempotent and resumable; each rewrite is conditional.

Environment:
  TABLE_NAME         the table (deployed: mfa-tickets-<stage>-tickets)
  ENCRYPTION_KEYS    the new key first, then every key still in use: "new:base64,old:base64"
  DYNAMODB_ENDPOINT  optional (DynamoDB Local: http://127.0.0.1:8000); AWS credentials and region as for the AWS CLI

Options:
  --dry-run          count what would change, write nothing
  --page-size N      items per Scan page (default 100)
  --max-pages N      stop after N pages; run again to continue from the checkpoint
  --checkpoint FILE  where the position is kept (default .local/reencrypt-<table>.json); removed when done
  --restart          ignore a saved position and start from the beginning

Exit status: 0 done (or stopped at --max-pages), 2 when some items were refused (listed in the report), 1 on error.`;

/** The Scan position in a small JSON file, written whole (temporary file, then rename) after each page. */
function fileCheckpoint(path: string, restart: boolean): ReencryptCheckpoint {
  return {
    async load() {
      if (restart) return undefined;
      try {
        return JSON.parse(readFileSync(path, 'utf8')).position as Record<string, unknown>;
      } catch {
        return undefined;
      }
    },
    async save(position) {
      if (!position) {
        rmSync(path, { force: true });
        return;
      }
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(`${path}.tmp`, JSON.stringify({ position, saved_at: new Date().toISOString() }));
      renameSync(`${path}.tmp`, path);
    },
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      'dry-run': { type: 'boolean', default: false },
      'page-size': { type: 'string' },
      'max-pages': { type: 'string' },
      checkpoint: { type: 'string' },
      restart: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const whole = (name: string, raw: string | undefined) => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1`);
    return n;
  };
  const tableName = process.env.TABLE_NAME;
  if (!tableName) throw new Error('TABLE_NAME is required (see --help)');
  const keys = encryptionKeysFromEnv(process.env);
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT || undefined, maxAttempts: 5 }));
  const checkpointPath = values.checkpoint ?? join('.local', `reencrypt-${tableName}.json`);
  try {
    const report = await reencryptEnrollments({
      db,
      tableName,
      keys,
      pageSize: whole('page-size', values['page-size']),
      maxPages: whole('max-pages', values['max-pages']),
      dryRun: values['dry-run'],
      checkpoint: fileCheckpoint(checkpointPath, values.restart),
    });
    const verb = report.dry_run ? 'would re-encrypt' : 're-encrypted';
    process.stdout.write(
      `${report.enrollments} enrollments: ${report.current} already current, ${verb} ${report.reencrypted} ` +
        `(${report.from_v1} from v1) under key "${keys.current.id}", ${report.changed_meanwhile} changed meanwhile, ` +
        `${report.refused.length} refused` +
        `${report.complete ? '' : ` — stopped early; run again to continue from ${checkpointPath}`}.\n` +
        `${JSON.stringify(report, null, 2)}\n`,
    );
    if (report.refused.length > 0) process.exitCode = 2;
  } finally {
    db.destroy();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`npm run reencrypt: ${err.message}\n`);
  process.exit(1);
});
