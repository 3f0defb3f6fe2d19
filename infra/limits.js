// Flood limits for the public routes (serverless.yml `custom.limits`, docs/SECURITY.md "Floods"), for
// `${file(infra/limits.js):<name>}`: each is a number checked here, so a typo fails the package, not the deploy.
'use strict';

async function number(resolveVariable, name, min, max) {
  const raw = String((await resolveVariable(`self:custom.limits.${name}`)) ?? '').trim();
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new Error(`custom.limits.${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** The HTTP API stage's default route settings: every route, public or admin, is throttled at the gateway. */
async function stageThrottling({ resolveVariable }) {
  return {
    DetailedMetricsEnabled: false,
    ThrottlingRateLimit: await number(resolveVariable, 'httpRateLimit', 1, 10000),
    ThrottlingBurstLimit: await number(resolveVariable, 'httpBurstLimit', 1, 5000),
  };
}

/** Reserved concurrency of each public function: a cap on what a flood can take from the account's other functions. */
const publicReservedConcurrency = async ({ resolveVariable }) => number(resolveVariable, 'publicReservedConcurrency', 1, 1000);

module.exports = { stageThrottling, publicReservedConcurrency };
