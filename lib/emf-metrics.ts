/**
 * Counts as CloudWatch embedded metric format lines, in the namespace and `service` dimension the Powertools Metrics
 * of the other functions use (the alarms read them alike). Written here, not with @aws-lambda-powertools/metrics and
 * its batch processor, to keep the bundles of the functions that count (the security notifier, the phone send) under
 * the 400 KB budget (docs/BENCHMARKS.md).
 */
export function emfMetrics(namespace: string, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {
  const counts = new Map<string, number>();
  return {
    addMetric: (name: string, _unit: 'Count', value: number) => void counts.set(name, (counts.get(name) ?? 0) + value),
    flush: () => {
      if (counts.size === 0) return;
      const service = process.env.POWERTOOLS_SERVICE_NAME ?? namespace;
      write(JSON.stringify({
        _aws: { Timestamp: Date.now(), CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [['service']], Metrics: [...counts.keys()].map((Name) => ({ Name, Unit: 'Count' })) }] },
        service,
        ...Object.fromEntries(counts),
      }));
      counts.clear();
    },
  };
}

