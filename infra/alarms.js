// The operators' alarms, for serverless.yml (`resources: - ${file(infra/alarms.js):resources}`). Generated because
// every function gets its own Errors and Throttles alarms, including functions added later. Settings live in
// serverless.yml `custom.alarms` (README "Integrate", docs/EVENTS.md "Alarms").
'use strict';

const FIVE_MINUTES = 300;
const HOUR = 3600;
const DAY = 86400;

/** The logical id the framework gives a function's AWS::Lambda::Function, minus `LambdaFunction` (naming.js). */
function normalizedFunctionName(name) {
  const safe = name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${safe.charAt(0).toUpperCase()}${safe.slice(1)}`;
}

/** `rate(15 minutes)` → 900; undefined for a cron expression or anything else. */
function rateSeconds(expression) {
  const match = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(String(expression).trim());
  if (!match) return undefined;
  const unit = { minute: 60, hour: HOUR, day: DAY }[match[2].replace(/s$/, '')];
  return Number(match[1]) * unit;
}

/**
 * How long the sweep may go without a completed run: three scheduled runs, between one hour and one day (an alarm
 * cannot look back further than a day). A cron schedule is given the full day.
 */
function sweepWindowSeconds(rate) {
  const seconds = rateSeconds(rate);
  if (seconds === undefined) return DAY;
  return Math.min(DAY, Math.max(HOUR, Math.ceil((3 * seconds) / 60) * 60));
}

async function settings(resolveVariable) {
  const get = async (name) => String((await resolveVariable(name)) ?? '').trim();
  const functions = await resolveVariable('self:functions');
  return {
    service: await get('self:service'),
    stage: await get('sls:stage'),
    // `functions` may be a list of maps, which the framework merges.
    functionNames: Object.keys(Array.isArray(functions) ? Object.assign({}, ...functions) : functions ?? {}),
    topicArn: await get('self:custom.alarms.topicArn'),
    lockoutThreshold: Number(await get('self:custom.alarms.lockoutThreshold')),
    sweepEnabled: (await get('self:custom.sweep.enabled')) !== 'false',
    sweepRate: await get('self:custom.sweep.rate'),
    // The phone factor's stack-wide budget (PHONE_SENDS_PER_HOUR, docs/PHONE.md); the framework's default when unset.
    phoneSendsPerHour: Number((await get('self:custom.phone.sendsPerHour')) || 200),
  };
}

/** Every alarm, keyed by logical id, in a `resources` fragment the framework merges into the template. */
async function resources({ resolveVariable }) {
  const s = await settings(resolveVariable);
  if (!Number.isInteger(s.lockoutThreshold) || s.lockoutThreshold < 1) {
    throw new Error('custom.alarms.lockoutThreshold (ALARM_LOCKOUT_THRESHOLD) must be a whole number of at least 1');
  }
  if (s.topicArn && !/^arn:[\w-]+:sns:[\w-]+:\d{12}:[\w-]+$/.test(s.topicArn)) {
    throw new Error(`custom.alarms.topicArn (ALARM_TOPIC_ARN) must be an SNS topic ARN, not "${s.topicArn}"`);
  }
  if (!Number.isInteger(s.phoneSendsPerHour) || s.phoneSendsPerHour < 1) {
    throw new Error('custom.phone.sendsPerHour (PHONE_SENDS_PER_HOUR) must be a whole number of at least 1');
  }
  const actions = s.topicArn ? [s.topicArn] : [];
  // Metrics our functions publish with Powertools: namespace POWERTOOLS_METRICS_NAMESPACE and its `service` dimension.
  const ours = (name) => ({ Namespace: s.service, MetricName: name, Dimensions: [{ Name: 'service', Value: s.service }] });

  const alarm = (name, description, properties) => ({
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `${s.service}-${s.stage}-${name}`,
      AlarmDescription: description,
      ActionsEnabled: true,
      AlarmActions: actions,
      OKActions: actions,
      TreatMissingData: 'notBreaching',
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      ...properties,
    },
  });
  const sum = (metric, period = FIVE_MINUTES) => ({ ...metric, Statistic: 'Sum', Period: period });

  const out = {};
  for (const fn of s.functionNames) {
    const id = normalizedFunctionName(fn);
    const dimensions = [{ Name: 'FunctionName', Value: { Ref: `${id}LambdaFunction` } }];
    out[`${id}ErrorsAlarm`] = alarm(`${fn}-errors`, `${fn}: the function failed (Errors ≥ 1 in 5 minutes). Its log group says why.`,
      sum({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: dimensions }));
    out[`${id}ThrottlesAlarm`] = alarm(`${fn}-throttles`, `${fn}: invocations were throttled (Throttles ≥ 1 in 5 minutes): account or reserved concurrency reached.`,
      sum({ Namespace: 'AWS/Lambda', MetricName: 'Throttles', Dimensions: dimensions }));
  }

  const queue = (logicalId) => ({
    Namespace: 'AWS/SQS',
    MetricName: 'ApproximateNumberOfMessagesVisible',
    Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId, 'QueueName'] } }],
    Statistic: 'Maximum',
    Period: FIVE_MINUTES,
  });
  out.TicketEmailFailuresAlarm = alarm('email-failures-queue',
    'The mailer gave up on stream records after its retries: their ticket emails were not sent. The queue holds the records\' shard and sequence numbers (docs/EMAIL.md "Failures").',
    queue('TicketEmailFailuresQueue'));
  out.LifecycleEventFailuresAlarm = alarm('lifecycle-event-failures-queue',
    'The lifecycle-event publisher gave up on stream records after its retries: their events were not published. The queue holds the records\' shard and sequence numbers (docs/EVENTS.md "Failures").',
    queue('LifecycleEventFailuresQueue'));
  out.HistoryFailuresAlarm = alarm('history-failures-queue',
    'The MFA history recorder gave up on stream records after its retries: their events are missing from users\' histories (the lifecycle events went out). The queue holds the records\' shard and sequence numbers (docs/HISTORY.md "Failures").',
    queue('HistoryFailuresQueue'));
  out.SecurityNotificationFailuresAlarm = alarm('security-notification-failures-queue',
    'The security notifier gave up on stream records after its retries: users were not told of a change to their MFA. The queue holds the records\' shard and sequence numbers (docs/EMAIL.md "Security notifications").',
    queue('SecurityNotificationFailuresQueue'));
  out.SignupTicketFailedAlarm = alarm('signup-ticket-failed',
    'A signup got no enrollment ticket (SignupTicketFailed ≥ 1 in 5 minutes): configuration, the table, or a refused request. The onUserSignup logs say which (docs/SIGNUP-AND-SWEEP.md).',
    sum(ours('SignupTicketFailed')));
  out.SignupEventDroppedAlarm = alarm('signup-event-dropped',
    'A "User Signed Up" event was dropped as malformed (SignupEventDropped ≥ 1 in 5 minutes): the identity system sends a shape we do not read (docs/SIGNUP-AND-SWEEP.md).',
    sum(ours('SignupEventDropped')));
  out.LockoutSpikeAlarm = alarm('lockout-spike',
    `At least ${s.lockoutThreshold} lockouts (tickets and login challenges locked by wrong codes, users out of attempts) in 5 minutes: someone may be guessing codes (docs/EVENTS.md "Alarms").`,
    { ...sum(ours('Lockouts')), Threshold: s.lockoutThreshold });

  // Texts and calls cost money and SMS pumping shows up as volume: warn at 80 % of the hourly budget, before the
  // functions start refusing every send (429 budget) for the rest of the hour. PhoneCodesSent is added by every
  // successful send (lib/factors/phone/send.ts); with no phone function it never has data and stays OK.
  out.PhoneSendBudgetAlarm = alarm('phone-send-budget',
    `Texts and calls of codes reached ${Math.ceil(0.8 * s.phoneSendsPerHour)} in an hour, 80 % of the stack-wide budget PHONE_SENDS_PER_HOUR (${s.phoneSendsPerHour}): a surge of sign-ins, or SMS pumping (docs/PHONE.md "Limits").`,
    { ...sum(ours('PhoneCodesSent'), HOUR), Threshold: Math.ceil(0.8 * s.phoneSendsPerHour) });

  if (s.sweepEnabled) {
    const window = sweepWindowSeconds(s.sweepRate);
    const stat = (id, name, stat) => ({ Id: id, ReturnData: false, MetricStat: { Metric: ours(name), Period: window, Stat: stat } });
    out.SweepNotCompletingAlarm = alarm('sweep-not-completing',
      `No run of the sweep of expired tickets completed in ${window / 60} minutes (schedule ${s.sweepRate}): it failed, ran out of time every run, or did not run (docs/SIGNUP-AND-SWEEP.md "The sweep").`,
      {
        // Every run publishes TicketsSwept (its sample count counts runs); a run that stopped early adds SweepIncomplete.
        Metrics: [
          stat('runs', 'TicketsSwept', 'SampleCount'),
          stat('incomplete', 'SweepIncomplete', 'Sum'),
          { Id: 'completed', Expression: 'FILL(runs, 0) - FILL(incomplete, 0)', Label: 'Completed sweep runs', ReturnData: true },
        ],
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        // No data at all means no run.
        TreatMissingData: 'breaching',
      });
  }
  return { Resources: out };
}

module.exports = { resources, sweepWindowSeconds, normalizedFunctionName };
