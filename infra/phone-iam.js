// The sms-voice resources the phone send functions may send from (serverless.yml, `${file(infra/phone-iam.js):sendResources}`),
// one source for all of them. docs/PHONE.md "Permissions".
'use strict';

/** `arn:<partition>:sms-voice:<region>:<account>:<resource>`, joined by CloudFormation at deploy. */
const arn = (resource) => ({ 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, 'sms-voice', { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, resource]] });

/** Every origination identity and configuration set of this account in this region. */
const ACCOUNT_WIDE = ['phone-number/*', 'sender-id/*', 'pool/*', 'configuration-set/*'].map(arn);

/**
 * The configured origination identity as an IAM resource, when its value names one: an ARN as it is, a phone number id
 * (`phone-…`) or a pool id (`pool-…`) as this account's. A number in E.164 or a sender ID's name is not a resource
 * name (AWS looks it up when sending), so those cannot be scoped here: undefined.
 */
function identityResource(identity) {
  if (/^arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:(phone-number|pool|sender-id)\/\S+$/.test(identity)) return identity;
  if (/^phone-[0-9a-z]+$/i.test(identity)) return arn(`phone-number/${identity}`);
  if (/^pool-[0-9a-z]+$/i.test(identity)) return arn(`pool/${identity}`);
  return undefined;
}

/**
 * With the identity given as an ARN or id (`custom.phone.originationIdentity`), only it and the configuration set
 * (`custom.phone.configurationSet`, a name or an ARN) may be used to send; otherwise, every identity of the account
 * in this region (AWS checks both the identity and the configuration set of a send against these).
 */
async function sendResources({ resolveVariable }) {
  const read = async (name) => String((await resolveVariable(`self:custom.phone.${name}`)) ?? '').trim();
  const identity = identityResource(await read('originationIdentity'));
  if (!identity) return ACCOUNT_WIDE;
  const set = await read('configurationSet');
  return [identity, ...(set ? [set.startsWith('arn:') ? set : arn(`configuration-set/${set}`)] : [])];
}

module.exports = { sendResources, identityResource, ACCOUNT_WIDE };
