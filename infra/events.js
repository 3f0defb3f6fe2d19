// Lifecycle-event wiring for serverless.yml (`${file(infra/events.js):<name>}`). Settings live in serverless.yml
// `custom.events` (docs/EVENTS.md).
'use strict';

/**
 * The one bus the publisher may put events on (its only events:PutEvents resource): an ARN as given (a bus in this or
 * another account), else the bus of that name in this stack's account and region (`default` unless configured).
 */
async function busArn({ resolveVariable }) {
  const bus = String((await resolveVariable('self:custom.events.bus')) ?? '').trim() || 'default';
  if (bus.startsWith('arn:')) return bus;
  return { 'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${bus}` };
}

module.exports = { busArn };
