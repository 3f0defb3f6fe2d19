import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { encryptionKeysFromEnv } from '../../lib/config';
import type { KeyRing } from '../../lib/config';
import { enrollmentPointerKey, newEnrollmentId, userProfileKey, type EmailEnrollmentRecord, type EnrollmentRecord, type PhoneEnrollmentRecord } from '../../lib/store/records';
import { emailEnrollmentRecord } from './email-enrollment';
import { phoneEnrollmentRecord } from './phone-enrollment';
import { db, stack } from './stack';

/** Writes attributes straight into a challenge item, as an emulator-side fixture (an expiry in the past). */
export async function patchChallenge(challengeId: string, values: Record<string, unknown>): Promise<void> {
  const names = Object.keys(values);
  await db.send(
    new UpdateCommand({
      TableName: stack.tableName,
      Key: { pk: `CHALLENGE#${challengeId}`, sk: 'CHALLENGE' },
      UpdateExpression: `SET ${names.map((_, i) => `#n${i} = :v${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#n${i}`, n])),
      ExpressionAttributeValues: Object.fromEntries(names.map((n, i) => [`:v${i}`, values[n]])),
    }),
  );
}

/**
 * A confirmed email enrollment, written as redeeming an email ticket writes one (./email-enrollment.ts, sealed under
 * the stack's ENCRYPTION_KEYS), with its pointer and the user's count, together.
 */
export const seedEmailEnrollment = (userId: string, address: string, tableName = stack.tableName): Promise<EmailEnrollmentRecord> =>
  seedEnrollment(userId, (id, keys, now) => emailEnrollmentRecord(userId, id, address, keys, now), tableName);

/** A confirmed phone enrollment (./phone-enrollment.ts: the E.164 number sealed), written as `seedEmailEnrollment` writes one. */
export const seedPhoneEnrollment = (userId: string, e164: string, channel: 'sms' | 'voice' = 'sms'): Promise<PhoneEnrollmentRecord> =>
  seedEnrollment(userId, (id, keys, now) => phoneEnrollmentRecord(userId, id, e164, keys, now, channel));

async function seedEnrollment<R extends EnrollmentRecord>(userId: string, record: (id: string, keys: KeyRing, now: number) => R, tableName = stack.tableName): Promise<R> {
  const keys = encryptionKeysFromEnv(stack.functionEnv);
  const enrollmentId = newEnrollmentId();
  const now = Date.now();
  const enrollment = record(enrollmentId, keys, now);
  await db.send(
    new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: tableName, Item: enrollment, ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { TableName: tableName, Item: { ...enrollmentPointerKey(enrollmentId), type: 'enrollment-pointer', enrollment_id: enrollmentId, user_id: userId } } },
        {
          Update: {
            TableName: tableName,
            Key: userProfileKey(userId),
            UpdateExpression: 'SET #type = :user, user_id = :user_id, updated_at = :now ADD enrollment_count :one',
            ExpressionAttributeNames: { '#type': 'type' },
            ExpressionAttributeValues: { ':user': 'user', ':user_id': userId, ':now': now, ':one': 1 },
          },
        },
      ],
    }),
  );
  return enrollment;
}
