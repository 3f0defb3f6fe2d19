import { documentClient } from '../lib/aws';
import { getConfig } from '../lib/config';
import { listFactorSwitches, setFactorSchema, setFactorSwitch, type SwitchDeps } from '../lib/factors/switch-admin';
import { FactorSwitchStore } from '../lib/factors/switches';
import { isWebauthnFactor } from '../lib/factors/webauthn/webauthn';
import { adminRoute, json, parseJsonBody } from '../lib/http';
import { logger } from '../lib/log';

const config = getConfig('adminKeyHashes');
const deps: SwitchDeps = {
  switches: new FactorSwitchStore(documentClient(config), config.tableName),
  configured: (name) => !isWebauthnFactor(name) || config.webauthn !== undefined,
  now: () => Date.now(),
};

/** GET /api/v2/guardian/factors and PUT /api/v2/guardian/factors/{name} `{ enabled }`: the factor switches, as the vendor shapes them. */
export const handler = adminRoute(config, async (event) => {
  if (event.routeKey.startsWith('GET ')) return json(200, await listFactorSwitches(deps));
  const name = event.pathParameters?.name ?? '';
  const result = await setFactorSwitch(deps, name, parseJsonBody(event, setFactorSchema));
  logger.info('factor switched', { factor: name, enabled: result.enabled });
  return json(200, result);
});
