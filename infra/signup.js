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
  };
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
        eventBus: s.eventBus || 'default',
        pattern: { 'source': [s.eventSource], 'detail-type': ['User Signed Up'] },
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

module.exports = { events, userPoolId, emailLookupStatement };
