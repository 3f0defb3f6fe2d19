import { badRequest } from '../errors';
import { MULTI_FACTOR_ACR } from './result-token';
import { FACTOR_NAMES, factorOfMethod, PHISHING_RESISTANT_FACTORS, type FactorName, type MfaMethod } from '../factors/registry';

/**
 * A challenge's login policy: which factors this login may use (a step-up), from the app's `factors` and
 * `acr_values` (OpenID Connect's, with the PAPE policy URIs the vendor uses). docs/MFA-LOGIN.md documents both.
 */
export const PHISHING_RESISTANT_ACR = 'http://schemas.openid.net/pape/policies/2007/06/phishing-resistant';

/** The factors each acr value allows. */
const ACR_FACTORS: Record<string, readonly FactorName[]> = {
  [PHISHING_RESISTANT_ACR]: PHISHING_RESISTANT_FACTORS,
  [MULTI_FACTOR_ACR]: FACTOR_NAMES,
};
export const ACR_VALUES: readonly string[] = Object.keys(ACR_FACTORS);

/** `acr_values` as sent: space-separated, each one we know (order kept, duplicates dropped). */
export const splitAcrValues = (acrValues: string): string[] => [...new Set(acrValues.split(' ').filter((value) => value !== ''))];
export const knownAcrValues = (acrValues: string): boolean => {
  const values = splitAcrValues(acrValues);
  return values.length > 0 && values.every((value) => value in ACR_FACTORS);
};

export interface LoginPolicy {
  /** The factors this login may use; absent: any the user has. */
  allowed?: FactorName[];
  /** The acr values asked for, in the app's order of preference. */
  acrValues?: string[];
}

/**
 * The policy of `factors` and `acr_values` (each already valid on its own): the factors both allow, in the
 * registry's order. 400 `invalid_factors` when they have none in common.
 */
export function loginPolicy(input: { factors?: readonly FactorName[]; acr_values?: string }): LoginPolicy {
  const acrValues = input.acr_values === undefined ? undefined : splitAcrValues(input.acr_values);
  if (!input.factors && !acrValues) return {};
  const byAcr = acrValues ? new Set(acrValues.flatMap((value) => ACR_FACTORS[value] ?? [])) : undefined;
  const allowed = FACTOR_NAMES.filter((name) => (!input.factors || input.factors.includes(name)) && (!byAcr || byAcr.has(name)));
  if (allowed.length === 0) throw badRequest('invalid_factors', 'factors: none of these satisfies acr_values');
  return { allowed, ...(acrValues ? { acrValues } : {}) };
}

/**
 * The result token's `acr` for a login with `method`: the first asked-for value that method satisfies, else (no
 * `acr_values`) the multi-factor one.
 */
export function satisfiedAcr(acrValues: readonly string[] | undefined, method: MfaMethod): string {
  const factor = factorOfMethod(method);
  const names = new Set<FactorName>([factor.name, ...factor.enrolls]);
  return acrValues?.find((value) => (ACR_FACTORS[value] ?? []).some((name) => names.has(name))) ?? MULTI_FACTOR_ACR;
}
