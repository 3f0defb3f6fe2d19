import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureTable } from '../../infra/local/table';
import { loadConfig, type KeyRing } from '../../lib/config';
import { reencryptEnrollments, type ReencryptCheckpoint, type ReencryptReport } from '../../lib/enrollment/reencrypt';
import { enrollmentKey, enrollmentPointerKey, type TotpEnrollmentRecord as EnrollmentRecord } from '../../lib/store/records';
import { enrollmentSecretContext, isSealedCurrent, open, seal, sealedInfo } from '../../lib/crypto/secret-box';
import { newTotpSecret } from '../../lib/factors/totp/totp';
import { codeFor } from '../support/enroll';
import { legacySeal } from '../support/legacy-seal';
import { stack } from '../support/stack';
import { call, captureOutput, importHandlers, localDocumentClient, tokenOfUrl, useDedicatedTable, type Handler } from './harness';
import { figureLog } from './figures';

vi.mock('../../lib/enrollment/bundled', async () => (await import('./harness')).bundledFromDisk());

/**
 * An enrolled TOTP secret belongs to one user and one enrollment: copied under another user's key it neither opens nor
 * lists there. And encryption keys can be retired: `npm run reencrypt` moves every enrollment to the current key and
 * format, idempotently, resumably, with conditional writes, and refuses to bless a misplaced legacy item.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TABLE = 'tickets-rel-integrity';
const REENCRYPT_TABLE = 'tickets-rel-reencrypt';
const CLI_TABLE = 'tickets-rel-reencrypt-cli';
const ADDRESS_TABLE = 'tickets-rel-reencrypt-addresses';
const recordFigure = figureLog(import.meta.url, afterAll);
const db = localDocumentClient();
const auth = { authorization: `Bearer ${stack.adminApiKey}` };
const json = { 'content-type': 'application/json' };
const h = {} as Record<'create' | 'start' | 'confirm' | 'list', Handler>;
const run = Date.now().toString(36);
let keys: KeyRing;

beforeAll(async () => {
  await useDedicatedTable(TABLE, { POWERTOOLS_LOG_LEVEL: 'WARN' });
  keys = loadConfig(process.env).encryptionKeys;
  const client = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await ensureTable(client, REENCRYPT_TABLE);
  await ensureTable(client, CLI_TABLE);
  await ensureTable(client, ADDRESS_TABLE);
  client.destroy();
  Object.assign(h, await importHandlers());
});

async function enroll(userId: string): Promise<EnrollmentRecord> {
  const created = await call(h.create, { headers: { ...auth, ...json }, body: JSON.stringify({ user_id: userId }) });
  const token = tokenOfUrl(JSON.parse(created.body).ticket_url);
  const started = JSON.parse((await call(h.start, { path: '/enroll/start', headers: json, body: JSON.stringify({ ticket: token }) })).body);
  const confirmed = await call(h.confirm, { path: '/enroll/confirm', headers: json, body: JSON.stringify({ ticket: token, transaction_token: started.transaction_token, code: codeFor(started.secret) }) });
  expect(confirmed.status, confirmed.body).toBe(200);
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: enrollmentKey(userId, JSON.parse(confirmed.body).enrollment_id), ConsistentRead: true }));
  return Item as EnrollmentRecord;
}

const listed = async (userId: string) =>
  JSON.parse((await call(h.list, { method: 'GET', headers: auth, pathParameters: { user_id: userId } })).body) as Array<{ id: string }>;

describe('an enrolled secret is bound to its user and enrollment', () => {
  it("an enrollment copied under another user's key does not open there, and is not listed there", async () => {
    const ada = `ada-${run}`;
    const mallory = `mallory-${run}`;
    const { output } = await captureOutput(async () => {
      const original = await enroll(ada);
      expect(sealedInfo(original.totp_secret)).toEqual({ version: 'v2', keyId: keys.current.id });
      const secret = open(original.totp_secret, keys, enrollmentSecretContext(ada, original.enrollment_id));

      // Someone with write access to the table copies the item under another user (as is, and with its user_id rewritten).
      await db.send(new PutCommand({ TableName: TABLE, Item: { ...original, ...enrollmentKey(mallory, original.enrollment_id) } }));
      const mallory2 = `${mallory}-2`;
      await db.send(new PutCommand({ TableName: TABLE, Item: { ...original, ...enrollmentKey(mallory2, original.enrollment_id), user_id: mallory2 } }));

      for (const thief of [mallory, mallory2]) {
        expect(() => open(original.totp_secret, keys, enrollmentSecretContext(thief, original.enrollment_id))).toThrow();
      }
      // Listing holds no encryption key (by design): it leaves out what is visibly not the user's; a copy with its
      // user_id rewritten too would list, and still not open.
      expect(await listed(mallory)).toEqual([]);
      expect((await listed(ada)).map((e) => e.id)).toEqual([original.enrollment_id]);
      expect(open(original.totp_secret, keys, enrollmentSecretContext(ada, original.enrollment_id))).toEqual(secret);
    });
    expect(output).not.toMatch(/"level":"ERROR"/);
    recordFigure('enrollment copied under another user: does not open (2 copies), not listed', { cases: 3, violations: 0 });
  });
});

/** Seeds one enrollment (item + pointer), its secret sealed as `how`, and returns what it was sealed from. */
async function seedEnrollment(
  tableName: string,
  userId: string,
  enrollmentId: string,
  how: (secret: Buffer) => string,
  overrides: Partial<EnrollmentRecord> = {},
  pointerUser = userId,
): Promise<Buffer> {
  const secret = newTotpSecret();
  const item: EnrollmentRecord = {
    ...enrollmentKey(userId, enrollmentId),
    type: 'enrollment',
    enrollment_id: enrollmentId,
    user_id: userId,
    factor: 'otp',
    status: 'confirmed',
    name: 'Authenticator app',
    totp_secret: how(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    last_used_step: 1,
    recovery_code_hash: `hmac-sha256$${keys.current.id}$${'A'.repeat(43)}`,
    ticket_id: `tkt_${'a'.repeat(22)}`,
    created_at: 1,
    ...overrides,
  };
  await db.send(new PutCommand({ TableName: tableName, Item: item }));
  await db.send(new PutCommand({ TableName: tableName, Item: { ...enrollmentPointerKey(enrollmentId), type: 'enrollment-pointer', enrollment_id: enrollmentId, user_id: pointerUser } }));
  return secret;
}

const memoryCheckpoint = (): ReencryptCheckpoint & { position: Record<string, unknown> | undefined; saves: number } => {
  const cp = {
    position: undefined as Record<string, unknown> | undefined,
    saves: 0,
    async load() {
      return cp.position;
    },
    async save(position: Record<string, unknown> | undefined) {
      cp.position = position;
      cp.saves += 1;
    },
  };
  return cp;
};

describe('npm run reencrypt: retiring an encryption key without breaking enrollments', () => {
  const newKey = { id: 'rotated', secret: Buffer.alloc(32, 0x5a) };
  let rotated: KeyRing;
  const seeded = new Map<string, Buffer>();
  const owners = new Map<string, [string, string]>();

  it('moves v1 and old-key enrollments to the current key and format, keeps the secrets, refuses what it must, resumes, and is idempotent', async () => {
    const oldKey = keys.current;
    rotated = { current: newKey, byId: new Map([[newKey.id, newKey], [oldKey.id, oldKey]]) };
    const gone = { id: 'gone', secret: Buffer.alloc(32, 1) };
    const seed = async (label: string, how: (id: string, user: string) => (s: Buffer) => string, overrides: Partial<EnrollmentRecord> = {}, pointerUser?: string) => {
      const user = `${label}-${run}`;
      const id = `enr_${label.padEnd(22, 'x').slice(0, 22)}`;
      seeded.set(id, await seedEnrollment(REENCRYPT_TABLE, user, id, how(id, user), overrides, pointerUser ?? user));
      owners.set(id, [user, id]);
      return id;
    };
    const legacyIds: string[] = [];
    for (let i = 0; i < 5; i += 1) legacyIds.push(await seed(`legacy${i}`, (id) => (s) => legacySeal(s, oldKey, `enrollment:${id}:totp_secret`)));
    for (let i = 0; i < 5; i += 1) await seed(`oldkey${i}`, (id, user) => (s) => seal(s, keys, enrollmentSecretContext(user, id)));
    for (let i = 0; i < 3; i += 1) await seed(`current${i}`, (id, user) => (s) => seal(s, rotated, enrollmentSecretContext(user, id)));
    // A v1 item someone copied under another user before the migration (its pointer names the real owner): refused.
    const copied = await seed('copiedv1', (id) => (s) => legacySeal(s, oldKey, `enrollment:${id}:totp_secret`), {}, 'someone-else');
    // Sealed under a key no longer configured: refused, reported.
    const lost = await seed('lostkey', (id, user) => (s) => seal(s, { current: gone, byId: new Map([[gone.id, gone]]) }, enrollmentSecretContext(user, id)));

    // A dry run first: counts, writes nothing.
    const dry = await reencryptEnrollments({ db, tableName: REENCRYPT_TABLE, keys: rotated, dryRun: true });
    expect(dry).toMatchObject({ enrollments: 15, current: 3, reencrypted: 10, from_v1: 5, complete: true, dry_run: true });
    const stillOld = await db.send(new GetCommand({ TableName: REENCRYPT_TABLE, Key: enrollmentKey(`legacy0-${run}`, legacyIds[0]!), ConsistentRead: true }));
    expect(sealedInfo(stillOld.Item!.totp_secret).version).toBe('v1');

    // Stopped after two pages of 4 items (30 items: 15 enrollments + 15 pointers), then resumed from the checkpoint.
    const checkpoint = memoryCheckpoint();
    const first = await reencryptEnrollments({ db, tableName: REENCRYPT_TABLE, keys: rotated, pageSize: 4, maxPages: 2, checkpoint });
    expect(first.complete).toBe(false);
    expect(checkpoint.position).toBeDefined();
    const second = await reencryptEnrollments({ db, tableName: REENCRYPT_TABLE, keys: rotated, pageSize: 4, checkpoint });
    expect(second).toMatchObject({ resumed: true, complete: true });
    expect(checkpoint.position).toBeUndefined();
    const total = (field: 'enrollments' | 'current' | 'reencrypted' | 'from_v1' | 'changed_meanwhile') => first[field] + second[field];
    expect([total('enrollments'), total('current'), total('reencrypted'), total('from_v1'), total('changed_meanwhile')]).toEqual([15, 3, 10, 5, 0]);
    const refused = [...first.refused, ...second.refused];
    expect(refused.map((r) => r.sk).sort()).toEqual([`ENROLLMENT#${copied}`, `ENROLLMENT#${lost}`].sort());
    expect(refused.find((r) => r.sk.endsWith(copied))!.reason).toMatch(/pointer/);
    expect(refused.find((r) => r.sk.endsWith(lost))!.reason).toMatch(/"gone" is not configured/);
    // The recovery codes still need the old key: the report says so.
    expect((first.recovery_codes_by_key[oldKey.id] ?? 0) + (second.recovery_codes_by_key[oldKey.id] ?? 0)).toBe(15);

    // Every migrated enrollment: v2 under the new key, the same secret, opening for its own user only — and with the
    // old key gone from the ring.
    const newOnly: KeyRing = { current: newKey, byId: new Map([[newKey.id, newKey]]) };
    for (const [id, [user]] of owners) {
      if (id === copied || id === lost) continue;
      const { Item } = await db.send(new GetCommand({ TableName: REENCRYPT_TABLE, Key: enrollmentKey(user, id), ConsistentRead: true }));
      expect(isSealedCurrent(Item!.totp_secret, rotated), id).toBe(true);
      expect(open(Item!.totp_secret, newOnly, enrollmentSecretContext(user, id))).toEqual(seeded.get(id));
      expect(() => open(Item!.totp_secret, newOnly, enrollmentSecretContext(`other-${user}`, id))).toThrow();
    }

    // Again: nothing left to do.
    const again = await reencryptEnrollments({ db, tableName: REENCRYPT_TABLE, keys: rotated });
    expect(again).toMatchObject({ enrollments: 15, current: 13, reencrypted: 0, changed_meanwhile: 0, complete: true });
    expect(again.refused).toHaveLength(2);
    expect(again.secrets_by_key).toEqual({ [`v2:${newKey.id}`]: 13, [`v1:${oldKey.id}`]: 1, 'v2:gone': 1 });
    recordFigure('reencrypt: 15 enrollments (5 v1, 5 old key, 3 current, 2 refused), stopped and resumed, run twice', {
      cases: 15,
      reencrypted: total('reencrypted'),
      refused: refused.length,
      violations: 0,
    });
  });

  it('a secret changed between its read and its rewrite is left as the other writer made it (conditional write)', async () => {
    const user = `race-${run}`;
    const id = 'enr_raceraceraceraceracer';
    await seedEnrollment(REENCRYPT_TABLE, user, id, (s) => legacySeal(s, keys.current, `enrollment:${id}:totp_secret`));
    const concurrent = seal(newTotpSecret(), rotated, enrollmentSecretContext(user, id));
    let interfered = false;
    // Another writer gets in just before our rewrite of this item.
    const racing = {
      send: async (command: unknown) => {
        if (!interfered && command instanceof UpdateCommand && command.input.Key?.pk === `USER#${user}`) {
          interfered = true;
          await db.send(new UpdateCommand({ TableName: REENCRYPT_TABLE, Key: enrollmentKey(user, id), UpdateExpression: 'SET totp_secret = :s', ExpressionAttributeValues: { ':s': concurrent } }));
        }
        return db.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;
    const report = await reencryptEnrollments({ db: racing, tableName: REENCRYPT_TABLE, keys: rotated });
    expect(interfered).toBe(true);
    expect(report.changed_meanwhile).toBe(1);
    const { Item } = await db.send(new GetCommand({ TableName: REENCRYPT_TABLE, Key: enrollmentKey(user, id), ConsistentRead: true }));
    expect(Item!.totp_secret).toBe(concurrent);
    recordFigure('reencrypt: concurrent change kept', { cases: 1, violations: 0 });
  });

  it('the command itself (tsx infra/reencrypt.ts) against DynamoDB Local: migrates, reports, exits 0; a second run has nothing to do', () => {
    const user = `cli-${run}`;
    const id = 'enr_clicliclicliclicliclic';
    const oldKey = keys.current;
    return seedEnrollment(CLI_TABLE, user, id, (s) => legacySeal(s, oldKey, `enrollment:${id}:totp_secret`)).then((secret) => {
      const env = {
        ...process.env,
        TABLE_NAME: CLI_TABLE,
        ENCRYPTION_KEYS: `${newKey.id}:${newKey.secret.toString('base64')},${oldKey.id}:${oldKey.secret.toString('base64')}`,
        DYNAMODB_ENDPOINT: stack.dynamodbEndpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      };
      const checkpoint = join(mkdtempSync(join(tmpdir(), 'reencrypt-')), 'checkpoint.json');
      const runCli = () => spawnSync(join('node_modules', '.bin', 'tsx'), ['infra/reencrypt.ts', '--checkpoint', checkpoint], { env, cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      const first = runCli();
      expect(first.status, first.stderr).toBe(0);
      const report = JSON.parse(first.stdout.slice(first.stdout.indexOf('{'))) as ReencryptReport;
      expect(report).toMatchObject({ enrollments: 1, reencrypted: 1, from_v1: 1, refused: [], complete: true });
      expect(first.stdout).not.toContain(secret.toString('base64'));
      const second = runCli();
      expect(second.status, second.stderr).toBe(0);
      expect(JSON.parse(second.stdout.slice(second.stdout.indexOf('{')))).toMatchObject({ current: 1, reencrypted: 0 });
      return db.send(new GetCommand({ TableName: CLI_TABLE, Key: enrollmentKey(user, id), ConsistentRead: true })).then(({ Item }) => {
        expect(sealedInfo(Item!.totp_secret)).toEqual({ version: 'v2', keyId: newKey.id });
        expect(open(Item!.totp_secret, { current: newKey, byId: new Map([[newKey.id, newKey]]) }, enrollmentSecretContext(user, id))).toEqual(secret);
        recordFigure('reencrypt command end to end', { cases: 2, violations: 0 });
      });
    });
  }, 120_000);
});

describe('npm run reencrypt: addresses are sealed values too', () => {
  it("moves an email factor's address and the enrolling ticket's kept address to the current key, each still bound to its owner", async () => {
    const newKey = { id: 'rotated-addr', secret: Buffer.alloc(32, 0x3c) };
    const rotated: KeyRing = { current: newKey, byId: new Map([[newKey.id, newKey], [keys.current.id, keys.current]]) };
    const user = `addr-${run}`;
    const sealFor = (id: string, text: string) => seal(Buffer.from(text), keys, enrollmentSecretContext(user, id));
    const email = { id: 'enr_emailemailemailemailem', address: 'ada@example.com', contact: 'ada+ticket@example.com' };
    const key = { id: 'enr_keykeykeykeykeykeykeyk', contact: 'ada+key@example.com' };
    await db.send(new PutCommand({ TableName: ADDRESS_TABLE, Item: {
      ...enrollmentKey(user, email.id), type: 'enrollment', factor: 'email', user_id: user, enrollment_id: email.id, status: 'confirmed',
      email: sealFor(email.id, email.address), masked_email: 'a•••@example.com', contact_email: sealFor(email.id, email.contact),
    } }));
    await db.send(new PutCommand({ TableName: ADDRESS_TABLE, Item: {
      ...enrollmentKey(user, key.id), type: 'enrollment', factor: 'webauthn-roaming', user_id: user, enrollment_id: key.id, status: 'confirmed',
      credential_id: 'cred-addr', contact_email: sealFor(key.id, key.contact),
    } }));

    const report = await reencryptEnrollments({ db, tableName: ADDRESS_TABLE, keys: rotated });
    expect(report).toMatchObject({ enrollments: 2, reencrypted: 3, current: 0, refused: [], complete: true });
    const read = async (id: string) => (await db.send(new GetCommand({ TableName: ADDRESS_TABLE, Key: enrollmentKey(user, id), ConsistentRead: true }))).Item!;
    const [emailItem, keyItem] = [await read(email.id), await read(key.id)];
    for (const [value, id, text] of [[emailItem.email, email.id, email.address], [emailItem.contact_email, email.id, email.contact], [keyItem.contact_email, key.id, key.contact]] as const) {
      expect(sealedInfo(value).keyId).toBe(newKey.id);
      expect(open(value, { current: newKey, byId: new Map([[newKey.id, newKey]]) }, enrollmentSecretContext(user, id)).toString()).toBe(text);
      expect(() => open(value, rotated, enrollmentSecretContext(`${user}-other`, id))).toThrow();
    }
    expect(await reencryptEnrollments({ db, tableName: ADDRESS_TABLE, keys: rotated })).toMatchObject({ current: 3, reencrypted: 0, refused: [] });
  });
});
