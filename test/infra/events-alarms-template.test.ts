import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import alarms from '../../infra/alarms.js';
import events from '../../infra/events.js';
import lifecycleFilter from '../../infra/lifecycle-stream-filter.json';
import { ofType, packageWith, removePackages, statements, type Template } from '../support/package-template';

/** The framework's variable resolver, over a fixed configuration. */
const resolver = (values: Record<string, unknown>) => ({ resolveVariable: async (name: string) => values[name] });

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ops-alarms';
const BUS = 'arn:aws:events:eu-west-1:210987654321:event-bus/identity-events';

let plain: Template;
let wired: Template;

beforeAll(async () => {
  [plain, wired] = await Promise.all([
    packageWith({}),
    packageWith({ EVENT_BUS: BUS, EVENT_SOURCE: 'com.example.mfa', ALARM_TOPIC_ARN: TOPIC, ALARM_LOCKOUT_THRESHOLD: '5', SWEEP_SCHEDULE_ENABLED: 'false' }),
  ]);
}, 300_000);

afterAll(removePackages);

const alarmsOf = (t: Template) => Object.fromEntries(ofType(t, 'AWS::CloudWatch::Alarm'));
const functionIds = (t: Template) => ofType(t, 'AWS::Lambda::Function').map(([id]) => id.replace(/LambdaFunction$/, ''));

describe('packaged template: lifecycle events', () => {
  it('runs the publisher on the table stream: in order, partial failures reported, the shared filter, a failure queue', () => {
    const [[, mapping]] = ofType(plain, 'AWS::Lambda::EventSourceMapping').filter(([id]) => id.startsWith('PublishLifecycleEvents')) as [[string, any]];
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['TicketsTable', 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      ParallelizationFactor: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['LifecycleEventFailuresQueue', 'Arn'] } } },
    });
    expect(mapping.Properties.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern))).toEqual(lifecycleFilter);
    expect(plain.LifecycleEventFailuresQueue!.Properties).toMatchObject({ SqsManagedSseEnabled: true });
  });

  it('runs the history recorder on the same records as the publisher but apart from it: its own mapping, failure queue and alarm', () => {
    const [[, mapping]] = ofType(plain, 'AWS::Lambda::EventSourceMapping').filter(([id]) => id.startsWith('RecordMfaHistory')) as [[string, any]];
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['TicketsTable', 'StreamArn'] },
      ParallelizationFactor: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['HistoryFailuresQueue', 'Arn'] } } },
    });
    expect(mapping.Properties.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern))).toEqual(lifecycleFilter);
    expect(plain.RecordMfaHistoryLambdaFunction!.Properties.Environment.Variables).toMatchObject({ MFA_HISTORY_DAYS: '90' });
    expect(alarmsOf(plain).HistoryFailuresAlarm!.Properties.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['HistoryFailuresQueue', 'QueueName'] } }]);
  });

  it('lets the publisher put events on the default bus of its own account only, and send to its failure queue', () => {
    expect(statements(plain, 'PublishLifecycleEventsIamRoleLambdaExecution').slice(2)).toEqual([
      { Effect: 'Allow', Action: ['events:PutEvents'], Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default' } },
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['LifecycleEventFailuresQueue', 'Arn'] } },
    ]);
    expect(plain.PublishLifecycleEventsLambdaFunction!.Properties.Environment.Variables).toMatchObject({
      EVENT_BUS: 'default', EVENT_SOURCE: 'mfa-tickets', POWERTOOLS_METRICS_NAMESPACE: 'mfa-tickets',
    });
  });

  it('with a bus ARN and a source: PutEvents on that bus only, and the function told both', () => {
    const putEvents = statements(wired, 'PublishLifecycleEventsIamRoleLambdaExecution').filter((s: any) => s.Action.includes('events:PutEvents'));
    expect(putEvents).toEqual([{ Effect: 'Allow', Action: ['events:PutEvents'], Resource: BUS }]);
    expect(wired.PublishLifecycleEventsLambdaFunction!.Properties.Environment.Variables).toMatchObject({ EVENT_BUS: BUS, EVENT_SOURCE: 'com.example.mfa' });
    // No other role may put events anywhere.
    for (const [id] of ofType(wired, 'AWS::IAM::Role').filter(([id]) => !id.startsWith('PublishLifecycleEvents'))) {
      expect(JSON.stringify(wired[id]!.Properties.Policies ?? []), id).not.toContain('events:PutEvents');
    }
  });
});

describe('packaged template: alarms', () => {
  it('has an Errors and a Throttles alarm for every function, on that function', () => {
    const all = alarmsOf(plain);
    const ids = functionIds(plain);
    expect(ids).toContain('PublishLifecycleEvents');
    for (const id of ids) {
      for (const metric of ['Errors', 'Throttles']) {
        const alarm = all[`${id}${metric}Alarm`];
        expect(alarm?.Properties, `${id} ${metric}`).toMatchObject({
          Namespace: 'AWS/Lambda', MetricName: metric, Statistic: 'Sum', Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: `${id}LambdaFunction` } }],
        });
      }
    }
  });

  it('watches both failure queues, signups without a ticket, the sweep and lockouts, on the metrics our functions emit', () => {
    const all = alarmsOf(plain);
    expect(all.TicketEmailFailuresAlarm!.Properties).toMatchObject({
      Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Statistic: 'Maximum', Threshold: 1,
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['TicketEmailFailuresQueue', 'QueueName'] } }],
    });
    expect(all.LifecycleEventFailuresAlarm!.Properties.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['LifecycleEventFailuresQueue', 'QueueName'] } }]);
    const ours = { Namespace: 'mfa-tickets', Dimensions: [{ Name: 'service', Value: 'mfa-tickets' }] };
    expect(all.SignupTicketFailedAlarm!.Properties).toMatchObject({ ...ours, MetricName: 'SignupTicketFailed', Statistic: 'Sum', Threshold: 1 });
    expect(all.LockoutSpikeAlarm!.Properties).toMatchObject({ ...ours, MetricName: 'Lockouts', Statistic: 'Sum', Threshold: 20, Period: 300 });
    const sweep = all.SweepNotCompletingAlarm!.Properties;
    expect(sweep).toMatchObject({ ComparisonOperator: 'LessThanThreshold', Threshold: 1, TreatMissingData: 'breaching' });
    expect(sweep.Metrics.map((m: any) => m.MetricStat?.Metric.MetricName ?? m.Expression)).toEqual(['TicketsSwept', 'SweepIncomplete', 'FILL(runs, 0) - FILL(incomplete, 0)']);
    expect(sweep.Metrics[0].MetricStat).toMatchObject({ Metric: ours, Period: 3 * 3600, Stat: 'SampleCount' });
    for (const alarm of Object.values(all)) {
      expect(alarm.Properties.AlarmName).toMatch(/^mfa-tickets-prod-/);
      expect(alarm.Properties.AlarmActions).toEqual([]);
    }
  });

  it('sends every alarm (and its recovery) to the configured topic, with the configured lockout threshold, no sweep alarm when the sweep is off', () => {
    const all = alarmsOf(wired);
    expect(Object.keys(all).length).toBeGreaterThan(2 * functionIds(wired).length);
    for (const [id, alarm] of Object.entries(all)) {
      expect(alarm.Properties.AlarmActions, id).toEqual([TOPIC]);
      expect(alarm.Properties.OKActions, id).toEqual([TOPIC]);
    }
    expect(all.LockoutSpikeAlarm!.Properties.Threshold).toBe(5);
    expect(all.SweepNotCompletingAlarm).toBeUndefined();
  });
});

describe('alarm and bus settings (infra/alarms.js, infra/events.js)', () => {
  const settings = {
    'self:service': 'svc', 'sls:stage': 'dev', 'self:functions': { 'my-fn_x': {} },
    'self:custom.alarms.topicArn': '', 'self:custom.alarms.lockoutThreshold': '20',
    'self:custom.sweep.enabled': 'true', 'self:custom.sweep.rate': 'rate(1 hour)',
  };

  it('gives the sweep three scheduled runs to complete, between an hour and a day', () => {
    expect(alarms.sweepWindowSeconds('rate(1 hour)')).toBe(3 * 3600);
    expect(alarms.sweepWindowSeconds('rate(5 minutes)')).toBe(3600);
    expect(alarms.sweepWindowSeconds('rate(1 day)')).toBe(86_400);
    expect(alarms.sweepWindowSeconds('cron(0 3 * * ? *)')).toBe(86_400);
  });

  it('names function alarms after the framework\'s logical ids', async () => {
    const { Resources } = await alarms.resources(resolver(settings));
    expect(Resources.MyDashfnUnderscorexErrorsAlarm.Properties.Dimensions).toEqual([{ Name: 'FunctionName', Value: { Ref: 'MyDashfnUnderscorexLambdaFunction' } }]);
  });

  it('refuses a topic that is not an SNS ARN and a lockout threshold below 1', async () => {
    await expect(alarms.resources(resolver({ ...settings, 'self:custom.alarms.topicArn': 'ops-alarms' }))).rejects.toThrow(/SNS topic ARN/);
    await expect(alarms.resources(resolver({ ...settings, 'self:custom.alarms.lockoutThreshold': '0' }))).rejects.toThrow(/lockoutThreshold/);
  });

  it('scopes PutEvents to a named bus in the stack\'s own account', async () => {
    expect(await events.busArn(resolver({ 'self:custom.events.bus': 'mfa-events' }))).toEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/mfa-events',
    });
  });
});
