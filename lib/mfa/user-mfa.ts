import { randomBytes } from 'node:crypto';
import type { Config } from '../config';
import type { EnrollmentStore } from '../enrollment/enrollment-store';
import { hashRecoveryCode, newRecoveryCode } from '../factors/recovery-code/code';
import { badRequest } from '../errors';
import { busy, notEnrolled } from './errors';
import type { MfaStore } from './mfa-store';

export { verifyUserSchema } from './schemas';

/** Users are created with 1–256 characters: anything else has no enrollments, and would be too long a DynamoDB key. */
export function checkUserId(userId: string): string {
  if (userId.length === 0 || userId.length > 256) throw badRequest('invalid_user_id', 'user_id: must be 1 to 256 characters');
  return userId;
}

/**
 * `POST /api/v2/users/{user_id}/recovery-code-regeneration`: a new recovery code, on the user's newest enrollment;
 * every older code stops working in the same transaction.
 */
export async function regenerateRecoveryCode(
  deps: { store: Pick<MfaStore, 'loadUser' | 'replaceRecoveryCode'>; config: Pick<Config, 'encryptionKeys'>; now: () => number; random?: (size: number) => Buffer },
  userId: string,
): Promise<{ recovery_code: string }> {
  const { enrollments } = await deps.store.loadUser(checkUserId(userId));
  const target = enrollments.at(-1);
  if (!target) throw notEnrolled(userId);
  const code = newRecoveryCode(deps.random ?? randomBytes);
  const hash = hashRecoveryCode(code, { userId, enrollmentId: target.enrollment_id }, deps.config.encryptionKeys);
  const others = enrollments.filter((e) => e !== target && e.recovery_code_hash !== undefined).map((e) => e.enrollment_id);
  if (!(await deps.store.replaceRecoveryCode(userId, { enrollmentId: target.enrollment_id, hash }, others, deps.now()))) throw busy();
  return { recovery_code: code };
}

/**
 * `DELETE /api/v2/users/{user_id}/authenticators`: removes every enrollment of the user, each as the one-enrollment
 * delete does (enrollment, pointer and count together). Idempotent: a user with none is a 204 too, as the vendor answers.
 */
export async function deleteAllAuthenticators(
  deps: { store: Pick<MfaStore, 'loadUser'>; enrollments: Pick<EnrollmentStore, 'delete'>; now: () => number },
  userId: string,
): Promise<number> {
  const { enrollments } = await deps.store.loadUser(checkUserId(userId));
  let removed = 0;
  for (const enrollment of enrollments) if (await deps.enrollments.delete(enrollment.enrollment_id, deps.now())) removed += 1;
  return removed;
}
