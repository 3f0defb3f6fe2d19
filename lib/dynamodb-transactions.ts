import { TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';

/** Why one item of a cancelled transaction failed; `Item` (wire format) when the write asked for it. */
export type CancellationReason = { Code?: string; Item?: Record<string, unknown> };

const TRANSACTION_ATTEMPTS = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isCancellation = (err: unknown): err is Error & { CancellationReasons?: CancellationReason[] } =>
  err instanceof Error && err.name === 'TransactionCanceledException';

export const isConditionFailure = (err: unknown) => err instanceof Error && err.name === 'ConditionalCheckFailedException';

/**
 * Runs a transaction: undefined when it committed, its cancellation reasons when a condition failed. A
 * `TransactionConflict` alone (another transaction on the same items at the same moment) is retried a few times with
 * jitter first; the SDK does not retry cancellations itself.
 */
export async function transactWrite(db: DynamoDBDocumentClient, input: TransactWriteCommandInput): Promise<CancellationReason[] | undefined> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await db.send(new TransactWriteCommand(input));
      return undefined;
    } catch (err) {
      if (!isCancellation(err)) throw err;
      const reasons = err.CancellationReasons ?? [];
      const conflicted = !reasons.some((r) => r.Code === 'ConditionalCheckFailed') && reasons.some((r) => r.Code === 'TransactionConflict');
      if (!conflicted || attempt >= TRANSACTION_ATTEMPTS) return reasons;
      await sleep(20 * attempt + Math.random() * 30);
    }
  }
}
