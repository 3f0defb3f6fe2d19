// The customer-managed KMS key that encrypts every function's environment (serverless.yml `provider.kmsKeyArn`), for
// `${file(infra/environment-key.js):keyPolicy}`. Why and what it protects: docs/SECURITY.md "Keys in the environment".
'use strict';

/** The logical id serverless-iam-roles-per-function gives a function's role (the framework's normalized name + suffix). */
const roleLogicalId = (fn) =>
  `${fn.charAt(0).toUpperCase()}${fn.slice(1).replace(/-/g, 'Dash').replace(/_/g, 'Underscore')}IamRoleLambdaExecution`;

const ACCOUNT = { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' };

/**
 * Only the functions' own roles may decrypt: the role list is every function of this file, so a function added later
 * is covered without editing this. The account (that is, IAM principals it authorizes) may administer the key and
 * let Lambda encrypt with it at deploy time, but neither decrypt nor grant itself decryption: a read-only role
 * that may call lambda:GetFunctionConfiguration gets no plaintext environment.
 */
async function keyPolicy({ resolveVariable }) {
  const functions = Object.keys((await resolveVariable('self:functions')) ?? {});
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AccountAdministersTheKeyButCannotUseIt',
        Effect: 'Allow',
        Principal: { AWS: ACCOUNT },
        // No kms:Decrypt/Encrypt/GenerateDataKey*/ReEncrypt*, and no kms:CreateGrant (a grant could give decryption).
        Action: [
          'kms:Describe*', 'kms:List*', 'kms:Get*', 'kms:PutKeyPolicy', 'kms:EnableKeyRotation', 'kms:DisableKeyRotation',
          'kms:EnableKey', 'kms:DisableKey', 'kms:UpdateKeyDescription', 'kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias',
          'kms:TagResource', 'kms:UntagResource', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion', 'kms:RevokeGrant', 'kms:RetireGrant',
        ],
        Resource: '*',
      },
      {
        Sid: 'LambdaEncryptsTheEnvironmentOnDeploy',
        Effect: 'Allow',
        Principal: { AWS: ACCOUNT },
        Action: ['kms:Encrypt'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'lambda.${AWS::Region}.amazonaws.com' } } },
      },
      {
        Sid: 'LambdaGrantsItsFunctionsOnDeploy',
        Effect: 'Allow',
        Principal: { AWS: ACCOUNT },
        Action: ['kms:CreateGrant'],
        Resource: '*',
        Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      },
      {
        Sid: 'OnlyTheFunctionsDecrypt',
        Effect: 'Allow',
        Principal: { AWS: functions.map((fn) => ({ 'Fn::GetAtt': [roleLogicalId(fn), 'Arn'] })) },
        Action: ['kms:Decrypt'],
        Resource: '*',
      },
    ],
  };
}

module.exports = { keyPolicy, roleLogicalId };
