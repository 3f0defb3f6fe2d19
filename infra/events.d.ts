declare const events: {
  busArn(context: { resolveVariable: (name: string) => Promise<unknown> }): Promise<string | Record<string, string>>;
};
export = events;
