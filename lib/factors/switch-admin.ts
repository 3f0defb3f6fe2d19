import * as v from 'valibot';
import { badRequest } from '../errors';
import type { FactorName } from './factor';
import { isOn, isSwitchName, SWITCH_NAMES, type FactorSwitchStore } from './switches';

/**
 * `GET /api/v2/guardian/factors` and `PUT /api/v2/guardian/factors/{name}` in the vendor's shapes. The list names the
 * factors this deployment offers (a WebAuthn kind only when WebAuthn is configured); `trial_expired` is always false
 * (there is no trial). The vendor's factors we do not offer (`push-notification`, `sms`, `duo`, …) and unknown
 * names are a 400, as the vendor answers a name outside its list.
 */
export const setFactorSchema = v.strictObject({ enabled: v.boolean('must be true or false') });

export interface SwitchDeps {
  switches: Pick<FactorSwitchStore, 'get' | 'set'>;
  /** Whether the deployment can offer the factor at all (WebAuthn needs PUBLIC_BASE_URL). */
  configured: (name: FactorName) => boolean;
  now: () => number;
}

export async function listFactorSwitches(deps: SwitchDeps) {
  const switches = await deps.switches.get();
  return SWITCH_NAMES.map((name) => ({ name, enabled: deps.configured(name) && isOn(switches, name), trial_expired: false }));
}

export async function setFactorSwitch(deps: SwitchDeps, name: string, input: v.InferOutput<typeof setFactorSchema>) {
  if (!isSwitchName(name) || !deps.configured(name)) {
    throw badRequest('unsupported_factor', `name: ${name.slice(0, 64)} is not a factor this deployment offers; one of ${SWITCH_NAMES.filter(deps.configured).join(', ')}`);
  }
  await deps.switches.set(name, input.enabled, deps.now());
  return { enabled: input.enabled };
}
