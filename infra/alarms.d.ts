declare const alarms: {
  resources(context: { resolveVariable: (name: string) => Promise<unknown> }): Promise<{ Resources: Record<string, any> }>;
  sweepWindowSeconds(rate: string): number;
  normalizedFunctionName(name: string): string;
};
export = alarms;
