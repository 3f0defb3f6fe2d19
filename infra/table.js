// The one definition of the tickets table. serverless.yml deploys it (`${file(infra/table.js)}`) and the local
// stack creates DynamoDB Local's table from `tableProperties()`, so the two cannot drift.
'use strict';

/** Sparse index: only pending tickets carry `pending_shard`, so the sweep reads what expired, not the whole table. */
const PENDING_INDEX = 'pending-by-expiry';

function tableProperties(tableName) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'pending_shard', AttributeType: 'S' },
      { AttributeName: 'expires_at', AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: PENDING_INDEX,
        KeySchema: [
          { AttributeName: 'pending_shard', KeyType: 'HASH' },
          { AttributeName: 'expires_at', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
    StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    SSESpecification: { SSEEnabled: true },
  };
}

/** Called by the Serverless Framework's `${file()}` resolver. */
module.exports = async ({ resolveVariable }) => ({
  Type: 'AWS::DynamoDB::Table',
  DeletionPolicy: 'Retain',
  UpdateReplacePolicy: 'Retain',
  Properties: tableProperties(await resolveVariable('self:custom.tableName')),
});
module.exports.tableProperties = tableProperties;
module.exports.PENDING_INDEX = PENDING_INDEX;
