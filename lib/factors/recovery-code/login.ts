import { filedEnrollmentOwner } from '../../store/records';
import { hashRecoveryCode, isRecoveryCodeShape, newRecoveryCode, verifyRecoveryCode } from './code';
import type { LoginFactor } from '../factor';
import { recoveryCodeDescriptor } from './descriptor';

/**
 * The one-time recovery code (lib/factors/recovery-code/code.ts): single use, and spending it issues the next one, whose
 * hash replaces the spent one in the same conditional write.
 */
export const recoveryCodeFactor: LoginFactor = {
  ...recoveryCodeDescriptor,
  verify(enrollments, proof, { keys, random }) {
    if (!isRecoveryCodeShape(proof)) return undefined;
    if (!keys) throw new Error('checking a recovery code needs ENCRYPTION_KEYS');
    for (const enrollment of enrollments) {
      const stored = enrollment.recovery_code_hash;
      if (!stored) continue;
      // The owner from where the item is filed, not its attributes (a copy under another user does not verify there).
      const { userId, enrollmentId } = filedEnrollmentOwner(enrollment);
      const owner = { userId, enrollmentId };
      if (!verifyRecoveryCode(proof, stored, owner, keys)) continue;
      const next = newRecoveryCode(random);
      return {
        method: 'recovery-code',
        enrollment,
        spend: { kind: 'recovery-code', usedHash: stored, nextHash: hashRecoveryCode(next, owner, keys) },
        nextRecoveryCode: next,
      };
    }
    return undefined;
  },
};
