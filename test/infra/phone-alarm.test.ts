import { describe, expect, it } from 'vitest';
import alarms from '../../infra/alarms.js';

const resolver = (values: Record<string, unknown>) => ({ resolveVariable: async (name: string) => values[name] });
const settings = {
  'self:service': 'svc', 'sls:stage': 'dev', 'self:functions': {},
  'self:custom.alarms.topicArn': '', 'self:custom.alarms.lockoutThreshold': '20',
  'self:custom.sweep.enabled': 'false', 'self:custom.sweep.rate': 'rate(1 hour)',
};

describe('phone send budget alarm (infra/alarms.js)', () => {
  it('watches PhoneCodesSent per hour and fires at 80 % of PHONE_SENDS_PER_HOUR, without any phone function', async () => {
    const { Resources } = await alarms.resources(resolver({ ...settings, 'self:custom.phone.sendsPerHour': '500' }));
    expect(Resources.PhoneSendBudgetAlarm.Properties).toMatchObject({
      AlarmName: 'svc-dev-phone-send-budget',
      Namespace: 'svc',
      MetricName: 'PhoneCodesSent',
      Dimensions: [{ Name: 'service', Value: 'svc' }],
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 400,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(Resources.PhoneSendBudgetAlarm.Properties.AlarmDescription).toMatch(/PHONE_SENDS_PER_HOUR \(500\)/);
  });

  it('defaults to the budget\'s default (200 → 160), and refuses a budget below 1', async () => {
    const { Resources } = await alarms.resources(resolver(settings));
    expect(Resources.PhoneSendBudgetAlarm.Properties.Threshold).toBe(160);
    await expect(alarms.resources(resolver({ ...settings, 'self:custom.phone.sendsPerHour': '0' }))).rejects.toThrow(/PHONE_SENDS_PER_HOUR/);
    await expect(alarms.resources(resolver({ ...settings, 'self:custom.phone.sendsPerHour': 'lots' }))).rejects.toThrow(/PHONE_SENDS_PER_HOUR/);
  });
});
