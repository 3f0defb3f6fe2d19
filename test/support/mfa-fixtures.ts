import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
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
