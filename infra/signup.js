// Signup wiring that depends on configuration, for serverless.yml (`${file(infra/signup.js):<name>}`): YAML cannot add
// a list item or pick a reference conditionally. Settings live in serverless.yml `custom.signup` (see
// docs/SIGNUP-AND-SWEEP.md); each resolver below reads them through the framework.
'use strict';

const setting = async (resolveVariable, name) => String((await resolveVariable(`self:custom.signup.${name}`)) ?? '').trim();

async function settings(resolveVariable) {
  return {
    pool: await setting(resolveVariable, 'cognitoUserPool'),
    existing: (await setting(resolveVariable, 'cognitoUserPoolExisting')) !== 'false',
    poolId: await setting(resolveVariable, 'cognitoUserPoolId'),
    eventBus: await setting(resolveVariable, 'eventBus'),
    eventSource: await setting(resolveVariable, 'eventSource'),
    eventPrincipal: await setting(resolveVariable, 'eventPrincipal'),
    service: String(await resolveVariable('self:service')),
    stage: String(await resolveVariable('sls:stage')),
  };
}

/**
 * The signup bus: `default` and an existing bus's ARN are used as they are (their policy is their owner's); anything
 * else is a bus this stack creates, named by the setting or `<service>-<stage>-signup`, with a publishing policy.
 */
function signupBus(s) {
  if (s.eventBus === 'default' || s.eventBus.startsWith('arn:')) return { created: false, ref: s.eventBus };
  return { created: true, name: s.eventBus || `${s.service}-${s.stage}-signup`, ref: { Ref: 'SignupEventBus' } };
}

/**
 * Who may publish signups: this stack's account (empty setting), another account (12 digits) or one IAM role or
 * user (its ARN). Returns the policy principal, the Deny condition that shuts everyone else out, and the account
 * the rule requires in the event's `account` field.
 */
function publisher(s) {
  const p = s.eventPrincipal;
  if (!p) {
    return {
      principal: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' },
      others: { StringNotEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
      account: { Ref: 'AWS::AccountId' },
    };
  }
  if (/^\d{12}$/.test(p)) {
    return { principal: p, others: { StringNotEquals: { 'aws:PrincipalAccount': p } }, account: p };
  }
  const arn = /^arn:aws[\w-]*:iam::(\d{12}):(role|user)\/[\w+=,.@/-]+$/.exec(p);
  if (!arn) throw new Error(`custom.signup.eventPrincipal must be an account id or an IAM role/user ARN, got "${p}"`);
  return { principal: p, others: { ArnNotEquals: { 'aws:PrincipalArn': p } }, account: arn[1] };
}

/** The logical id the framework gives a user pool it creates for a `cognitoUserPool` event (naming.js). */
function newPoolLogicalId(pool) {
  const name = pool.replace(/[^0-9A-Za-z]/g, '');
  return `CognitoUserPool${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/**
 * onUserSignup's events: the EventBridge rule always; the Cognito PostConfirmation trigger only when a pool is named,
 * on that existing pool (the default) or on a new pool this stack creates (`cognitoUserPoolExisting: false`).
 */
async function events({ resolveVariable }) {
  const s = await settings(resolveVariable);
  const list = [
    {
      eventBridge: {
        eventBus: signupBus(s).ref,
        // `account` is set by EventBridge (the publisher's account), never by the publisher.
        pattern: { 'source': [s.eventSource], 'detail-type': ['User Signed Up'], 'account': [publisher(s).account] },
        // EventBridge's own retries for a failed delivery; Lambda then retries a failed invocation twice.
        retryPolicy: { maximumEventAge: 86400, maximumRetryAttempts: 10 },
      },
    },
  ];
  if (s.pool) {
    list.push({
      cognitoUserPool: s.existing
        ? { pool: s.pool, trigger: 'PostConfirmation', existing: true, forceDeploy: true }
        : { pool: s.pool, trigger: 'PostConfirmation' },
    });
  }
  return list;
}

/** The pool the admin API looks emails up in: the configured id, else a pool this stack creates, else none (''). */
async function userPoolId({ resolveVariable }) {
  const s = await settings(resolveVariable);
  if (s.poolId) return s.poolId;
  if (s.pool && !s.existing) return { Ref: newPoolLogicalId(s.pool) };
  return '';
}

/**
 * createTicket's permission to read users (AdminGetUser) of that one pool. With no pool it is an explicit Deny, so
 * the statement list keeps its shape and the role still cannot read any pool.
 */
async function emailLookupStatement({ resolveVariable }) {
  const s = await settings(resolveVariable);
  // A pool id starts with its region (`eu-west-1_AbC123`), which may not be the stack's.
  const arn = (id) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:cognito-idp:${id.split('_')[0]}:\${AWS::AccountId}:userpool/${id}` });
  let resource;
  if (s.poolId) resource = arn(s.poolId);
  else if (s.pool && !s.existing) resource = { 'Fn::GetAtt': [newPoolLogicalId(s.pool), 'Arn'] };
  if (!resource) return { Effect: 'Deny', Action: ['cognito-idp:AdminGetUser'], Resource: '*' };
  return { Effect: 'Allow', Action: ['cognito-idp:AdminGetUser'], Resource: resource };
}

/** CloudFormation condition: does this stack create the signup bus? */
async function eventBusCondition({ resolveVariable }) {
  return { 'Fn::Equals': [String(signupBus(await settings(resolveVariable)).created), 'true'] };
}

/**
 * The bus this stack creates, with a resource policy that lets the configured publisher put events and denies
 * everyone else, including principals of this account whose own IAM policies would allow it.
 */
async function eventBusResource({ resolveVariable }) {
  const s = await settings(resolveVariable);
  const bus = signupBus(s);
  const name = bus.created ? bus.name : `${s.service}-${s.stage}-signup`;
  const arn = { 'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${name}` };
  const p = publisher(s);
  return {
    Type: 'AWS::Events::EventBus',
    Condition: 'SignupEventBusCreated',
    Properties: {
      Name: name,
      Policy: {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'IdentitySystemPublishes', Effect: 'Allow', Principal: { AWS: p.principal }, Action: 'events:PutEvents', Resource: arn },
          { Sid: 'NobodyElsePublishes', Effect: 'Deny', Principal: '*', Action: 'events:PutEvents', Resource: arn, Condition: p.others },
        ],
      },
    },
  };
}

module.exports = { events, userPoolId, emailLookupStatement, eventBusCondition, eventBusResource };
