import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
// The same definition serverless.yml deploys.
import table from '../table.js';

/** Creates the table from infra/table.js unless it exists, then turns TTL on (CreateTable alone ignores it locally). */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (err) {
    if ((err as Error).name !== 'ResourceNotFoundException') throw err;
  }
  // Backups and encryption at rest are deploy-time settings DynamoDB Local has no use for.
  const { TimeToLiveSpecification, PointInTimeRecoverySpecification, SSESpecification, ...properties } =
    table.tableProperties(tableName);
  const input = properties as CreateTableCommandInput;
  // CloudFormation implies StreamEnabled from StreamSpecification; the API wants it said.
  input.StreamSpecification = { ...input.StreamSpecification!, StreamEnabled: true };
  await client.send(new CreateTableCommand(input));
  await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification }));
}
