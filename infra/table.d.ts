declare const table: {
  (context: { resolveVariable: (name: string) => Promise<string> }): Promise<Record<string, unknown>>;
  tableProperties(tableName: string): {
    TableName: string;
    TimeToLiveSpecification: { AttributeName: string; Enabled: boolean };
    PointInTimeRecoverySpecification: unknown;
    SSESpecification: unknown;
    [key: string]: unknown;
  };
  PENDING_INDEX: string;
};
export = table;
