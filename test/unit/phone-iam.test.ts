import { describe, expect, it } from 'vitest';
import { ACCOUNT_WIDE, identityResource, sendResources } from '../../infra/phone-iam.js';

/** Where the phone send functions may send from (serverless.yml): the configured identity when it names a resource. */
const resolver = (phone: Record<string, string>) => ({ resolveVariable: async (name: string) => phone[name.replace('self:custom.phone.', '')] ?? '' });
const arnOf = (resource: string) => ({ 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, 'sms-voice', { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, resource]] });

describe('the phone senders\' IAM resources', () => {
  it('an identity given as an ARN, a phone number id or a pool id: only it, and the configuration set', async () => {
    const number = 'arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-0123456789abcdef';
    expect(await sendResources(resolver({ originationIdentity: number, configurationSet: 'mfa' }))).toEqual([number, arnOf('configuration-set/mfa')]);
    expect(await sendResources(resolver({ originationIdentity: 'pool-0123abcd' }))).toEqual([arnOf('pool/pool-0123abcd')]);
    expect(await sendResources(resolver({ originationIdentity: 'phone-0123abcd', configurationSet: 'arn:aws:sms-voice:us-east-1:123456789012:configuration-set/mfa' }))).toEqual([
      arnOf('phone-number/phone-0123abcd'),
      'arn:aws:sms-voice:us-east-1:123456789012:configuration-set/mfa',
    ]);
  });

  it('a number in E.164, a sender ID\'s name or nothing names no resource: every identity of the account and region', async () => {
    for (const identity of ['+12065550100', 'MyBrand', '', 'arn:aws:sns:us-east-1:123456789012:topic']) {
      expect(identityResource(identity), identity).toBeUndefined();
      expect(await sendResources(resolver({ originationIdentity: identity }))).toBe(ACCOUNT_WIDE);
    }
    expect(JSON.stringify(ACCOUNT_WIDE)).not.toContain('"*"');
  });
});
