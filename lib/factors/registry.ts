import type { EnrollmentRecord } from '../store/records';
import type { FactorDescriptor, FactorName, FactorView, ListedEnrollment, MaskedDestination, MfaMethod } from './factor';
import { emailDescriptor } from './email/descriptor';
import { phoneDescriptor } from './phone/descriptor';
import { recoveryCodeDescriptor } from './recovery-code/descriptor';
import { totpDescriptor } from './totp/descriptor';
import { webauthnDescriptor } from './webauthn/descriptor';

export type { FactorMatch, FactorName, LoginFactor, MfaMethod, Spend } from './factor';

/**
 * The factors, in the order a challenge lists them: light descriptors only (no crypto library). What checks a proof
 * or enrolls one lives in each folder's `login.ts` / `enroll.ts`, which the handlers in functions/ import and pass to
 * the flows, so each function bundles only the factors it serves (test/infra/bundle-contents.test.ts).
 */
export const FACTORS: readonly FactorDescriptor[] = [totpDescriptor, recoveryCodeDescriptor, webauthnDescriptor, emailDescriptor, phoneDescriptor];

const availableOf = (factor: FactorDescriptor, enrollments: readonly EnrollmentRecord[]): FactorName[] =>
  factor.available ? factor.available(enrollments) : enrollments.some((e) => factor.usable(e)) ? [factor.name] : [];

/** What the user can log in with (a challenge's `factors`). */
export function availableFactors(enrollments: readonly EnrollmentRecord[]): FactorName[] {
  return FACTORS.flatMap((factor) => availableOf(factor, enrollments));
}

/** Every name a challenge's `factors` may hold, in the registry's order. */
export const FACTOR_NAMES: readonly FactorName[] = [...new Set(FACTORS.flatMap((f) => [f.name, ...f.enrolls]))];

/** The names of the phishing-resistant factors (a phishing-resistant step-up's `factors`). */
export const PHISHING_RESISTANT_FACTORS: readonly FactorName[] = [
  ...new Set(FACTORS.filter((f) => f.phishingResistant).flatMap((f) => [f.name, ...f.enrolls])),
];

/**
 * The enrollments a proof of `method` may use when a challenge allows only `allowed` (a step-up); all of them when it
 * sets no limit. A proof matching none of these is wrong, so it is counted like any wrong proof.
 */
export function allowedEnrollments(method: MfaMethod, enrollments: readonly EnrollmentRecord[], allowed: readonly FactorName[] | undefined): readonly EnrollmentRecord[] {
  if (!allowed) return enrollments;
  const factor = factorOfMethod(method);
  return enrollments.filter((e) => availableOf(factor, [e]).some((name) => allowed.includes(name)));
}

/** The factor of a login method (an accepted challenge's `method`). */
export function factorOfMethod(method: MfaMethod): FactorDescriptor {
  const factor = FACTORS.find((f) => f.method === method || f.otherMethods?.includes(method));
  if (!factor) throw new Error(`no factor for method ${method}`);
  return factor;
}

/** The factor a ticket or an enrollment item names (`factor`), if any enrolls it. */
export const factorEnrolling = (name: string): FactorDescriptor | undefined => FACTORS.find((f) => (f.enrolls as readonly string[]).includes(name));

/** The admin list's view of an enrollment item's `factor`. */
export function viewOf(name: FactorName, enrollment?: ListedEnrollment): FactorView {
  const view = factorEnrolling(name)?.view?.(name, enrollment);
  if (!view) throw new Error(`no admin view for factor ${name}`);
  return view;
}

/**
 * Where the factors among `factors` that send codes would send one, masked (`+1 ••• ••• ••34`), one per usable
 * enrollment in the user's order: what a challenge shows before anything is sent. Never a sealed value.
 */
export function maskedDestinations(enrollments: readonly EnrollmentRecord[], factors: readonly FactorName[]): MaskedDestination[] {
  return FACTORS.filter((f) => factors.includes(f.name)).flatMap((factor) =>
    enrollments.flatMap((enrollment) => {
      const masked = factor.usable(enrollment) ? factor.view?.(enrollment.factor as FactorName, enrollment).maskedIdentifier?.(enrollment) : undefined;
      return masked ? [{ factor: factor.name, enrollment_id: enrollment.enrollment_id, masked }] : [];
    }),
  );
}
