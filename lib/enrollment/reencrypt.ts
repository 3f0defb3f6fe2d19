import { GetCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KeyRing } from '../config';
import { SEALED_ATTRIBUTES } from './enrollment-store';
import { ENROLLMENT_SK_PREFIX, enrollmentPointerKey } from '../store/records';
import { enrollmentSecretContext, isSealedCurrent, open, seal, sealedInfo } from '../crypto/secret-box';

/**
 * Re-encrypts every sealed value of an enrollment (TOTP secrets, email factors' addresses, the enrolling ticket's
 * address kept for notifications) under the current encryption key and the current format (v2: bound to the
 * user and enrollment), so that an older key can be retired without breaking enrollments (they never expire), and v1
 * values lose their weaker binding. `npm run reencrypt` (infra/reencrypt.ts) runs it.
 *
 * - Idempotent: a secret already sealed as v2 under the current key is only checked (it must open for the user it is
 *   filed under), never rewritten. Running it twice changes nothing the second time.
 * - Resumable: the Scan position is saved after each page (`checkpoint`); a run that stops (crash, `maxPages`,
 *   Ctrl-C) continues from there, and since finished items are skipped, starting over is also safe.
 * - Conditional: each rewrite is `SET totp_secret = :new` only if `totp_secret` is still the value that was read, so
 *   a concurrent change (deletion, another run) is never overwritten; it is counted and left to the next run.
 * - The owner comes from the item's key (`USER#<user_id>` / `ENROLLMENT#<id>`), never from its attributes. A v1
 *   value is not bound to the user, so before re-sealing one under the user it is filed under, the item's own
 *   `user_id` and the enrollment's pointer must name that user too: a v1 item copied under another user's key is
 *   reported, not blessed with a binding to its new place.
 * - Recovery-code HMACs cannot be re-keyed (the codes are not kept); their key ids are counted, so the report says
 *   whether an old key is still needed for them.
 */

export interface ReencryptCheckpoint {
  /** Where the previous run stopped (a Scan `ExclusiveStartKey`), or undefined to start at the beginning. */
  load(): Promise<Record<string, unknown> | undefined>;
  /** Called after each page with the position to continue from; undefined once the table is done. */
  save(position: Record<string, unknown> | undefined): Promise<void>;
}

export interface ReencryptOptions {
  db: DynamoDBDocumentClient;
  tableName: string;
  keys: KeyRing;
  /** Items read per Scan page (default 100). */
  pageSize?: number;
  /** Stop after this many pages (resume later from the checkpoint); default: until the end. */
  maxPages?: number;
  /** Count what would change, write nothing (the checkpoint is not moved either). */
  dryRun?: boolean;
  checkpoint?: ReencryptCheckpoint;
  now?: () => number;
}

export interface RefusedItem {
  pk: string;
  sk: string;
  reason: string;
}

export interface ReencryptReport {
  /** Items the Scan read (all types), and the enrollments among them. */
  scanned: number;
  enrollments: number;
  /** Sealed values already v2 under the current key, and opened for their user: nothing to do. */
  current: number;
  /** Rewritten under the current key and format (in a dry run: would be). */
  reencrypted: number;
  /** Of those, how many were v1 (not yet bound to their user). */
  from_v1: number;
  /** The conditional write found the secret changed or the item gone: left as it is now; run again to cover it. */
  changed_meanwhile: number;
  /** Not re-encrypted, needing a look: cannot be opened (unknown key, not this user's), or a v1 item in the wrong place. */
  refused: RefusedItem[];
  /** Sealed values (TOTP secrets, addresses) found per encryption key id and format (`v1:e1`, `v2:e2`), before this run changed anything. */
  secrets_by_key: Record<string, number>;
  /** Recovery-code HMACs per encryption key id: a key listed here is still needed to verify those codes. */
  recovery_codes_by_key: Record<string, number>;
  /** Reached the end of the table (false: stopped at `maxPages`; run again to continue). */
  complete: boolean;
  resumed: boolean;
  dry_run: boolean;
}

interface EnrollmentItem {
  /** The sealed values (`SEALED_FIELDS`). */
  [sealed: string]: unknown;
  pk: string;
  sk: string;
  user_id?: string;
  enrollment_id?: string;
  /** A security key or passkey: nothing sealed to rewrite (its public key is not secret). */
  credential_id?: string;
  recovery_code_hash?: string;
}

/**
 * The sealed values an enrollment item may hold, each bound to the user and enrollment it is filed under
 * (lib/crypto/secret-box.ts): what each factor lists as `sealed` (a TOTP secret, an email factor's address), and the
 * enrolling ticket's address kept for security notifications. Only TOTP secrets were ever written as v1.
 */
const SEALED_FIELDS: readonly string[] = [...SEALED_ATTRIBUTES];

const USER_PREFIX = 'USER#';
const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

export async function reencryptEnrollments(options: ReencryptOptions): Promise<ReencryptReport> {
  const { db, tableName, keys } = options;
  const now = options.now ?? Date.now;
  const report: ReencryptReport = {
    scanned: 0,
    enrollments: 0,
    current: 0,
    reencrypted: 0,
    from_v1: 0,
    changed_meanwhile: 0,
    refused: [],
    secrets_by_key: {},
    recovery_codes_by_key: {},
    complete: false,
    resumed: false,
    dry_run: options.dryRun ?? false,
  };
  let position = await options.checkpoint?.load();
  report.resumed = position !== undefined;
  for (let pages = 0; options.maxPages === undefined || pages < options.maxPages; pages += 1) {
    const page = await db.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: '#type = :enrollment',
        ProjectionExpression: ['pk', 'sk', 'user_id', 'enrollment_id', 'recovery_code_hash', 'credential_id', ...SEALED_FIELDS.map((_, i) => `#sealed${i}`)].join(', '),
        ExpressionAttributeNames: { '#type': 'type', ...Object.fromEntries(SEALED_FIELDS.map((field, i) => [`#sealed${i}`, field])) },
        ExpressionAttributeValues: { ':enrollment': 'enrollment' },
        ExclusiveStartKey: position,
        Limit: options.pageSize ?? 100,
        ConsistentRead: true,
      }),
    );
    report.scanned += page.ScannedCount ?? 0;
    for (const item of (page.Items ?? []) as EnrollmentItem[]) await reencryptOne(options, item, report, now());
    position = page.LastEvaluatedKey;
    if (!options.dryRun) await options.checkpoint?.save(position);
    if (!position) {
      report.complete = true;
      break;
    }
  }
  return report;
}

async function reencryptOne(options: ReencryptOptions, item: EnrollmentItem, report: ReencryptReport, now: number): Promise<void> {
  report.enrollments += 1;
  const refuse = (reason: string) => {
    report.refused.push({ pk: item.pk, sk: item.sk, reason });
  };
  const recoveryKey = /^(?:rc2|hmac-sha256)\$([^$]+)\$/.exec(item.recovery_code_hash ?? '')?.[1];
  if (recoveryKey) bump(report.recovery_codes_by_key, recoveryKey);
  const fields = SEALED_FIELDS.filter((field) => typeof item[field] === 'string');
  // A security key or passkey with nothing sealed: its public key is not secret.
  if (item.credential_id && fields.length === 0) return;
  if (!item.pk.startsWith(USER_PREFIX) || !item.sk.startsWith(ENROLLMENT_SK_PREFIX) || fields.length === 0) {
    return refuse('not shaped like an enrollment (key or sealed value)');
  }
  // The owner, from where the item is filed: a copy elsewhere gets the owner of its new place, which it cannot open for.
  const userId = item.pk.slice(USER_PREFIX.length);
  const enrollmentId = item.sk.slice(ENROLLMENT_SK_PREFIX.length);
  for (const field of fields) await reencryptValue(options, item, field, { userId, enrollmentId }, report, refuse, now);
}

async function reencryptValue(
  options: ReencryptOptions,
  item: EnrollmentItem,
  field: string,
  filed: { userId: string; enrollmentId: string },
  report: ReencryptReport,
  refuse: (reason: string) => void,
  now: number,
): Promise<void> {
  const { keys } = options;
  const value = item[field] as string;
  const owner = enrollmentSecretContext(filed.userId, filed.enrollmentId);
  let info: ReturnType<typeof sealedInfo>;
  try {
    info = sealedInfo(value);
  } catch {
    return refuse(`${field}: unknown format`);
  }
  bump(report.secrets_by_key, `${info.version}:${info.keyId}`);

  if (info.version === 'v1' && !(await inItsPlace(options, item, filed.userId, filed.enrollmentId))) {
    return refuse(`v1 ${field} (not bound to its user) on an item whose user_id or pointer names another user or id`);
  }
  let plaintext: Buffer;
  try {
    plaintext = open(value, keys, owner);
  } catch (err) {
    return refuse(`${field} does not open for this user and enrollment: ${(err as Error).message}`);
  }
  try {
    if (isSealedCurrent(value, keys)) {
      report.current += 1;
      return;
    }
    const resealed = seal(plaintext, keys, owner);
    if (!options.dryRun) {
      const written = await options.db
        .send(
          new UpdateCommand({
            TableName: options.tableName,
            Key: { pk: item.pk, sk: item.sk },
            UpdateExpression: 'SET #field = :new, reencrypted_at = :now',
            ConditionExpression: '#field = :old',
            ExpressionAttributeNames: { '#field': field },
            ExpressionAttributeValues: { ':new': resealed, ':old': value, ':now': now },
          }),
        )
        .then(
          () => true,
          (err: unknown) => {
            if (err instanceof Error && err.name === 'ConditionalCheckFailedException') return false;
            throw err;
          },
        );
      if (!written) {
        report.changed_meanwhile += 1;
        return;
      }
    }
    report.reencrypted += 1;
    if (info.version === 'v1') report.from_v1 += 1;
  } finally {
    plaintext.fill(0);
  }
}

/** A v1 item is where it was written: its own user and id, and the enrollment's pointer, agree with its key. */
async function inItsPlace(options: ReencryptOptions, item: EnrollmentItem, userId: string, enrollmentId: string): Promise<boolean> {
  if (item.user_id !== userId || item.enrollment_id !== enrollmentId) return false;
  const { Item } = await options.db.send(
    new GetCommand({ TableName: options.tableName, Key: enrollmentPointerKey(enrollmentId), ProjectionExpression: 'user_id', ConsistentRead: true }),
  );
  return Item?.user_id === userId;
}
