import { filedEnrollmentOwner } from '../../store/records';
import { enrollmentSecretContext, open } from '../../crypto/secret-box';
import { verifyTotp } from './totp';
import type { LoginFactor } from '../factor';
import { totpDescriptor } from './descriptor';

/**
 * An authenticator app's 6-digit code (RFC 6238, ±1 step). A code whose time step is not newer than the last one
 * accepted on that enrollment is refused like a wrong code: a code seen over a shoulder cannot be replayed, not even
 * within its window.
 */
export const totpFactor: LoginFactor = {
  ...totpDescriptor,
  verify(enrollments, proof, { keys, now }) {
    const code = proof.replace(/[\s-]/g, '');
    if (!/^\d{6}$/.test(code)) return undefined;
    for (const enrollment of enrollments) {
      if (enrollment.factor !== 'otp' || !this.usable(enrollment)) continue;
      const owner = filedEnrollmentOwner(enrollment); // where the item is filed, not what it says of itself
      if (!keys) throw new Error('checking a TOTP code needs ENCRYPTION_KEYS');
      const secret = open(enrollment.totp_secret, keys, enrollmentSecretContext(owner.userId, owner.enrollmentId));
      const step = verifyTotp(secret, code, now);
      if (step !== undefined && step > (enrollment.last_used_step ?? -1)) {
        return { method: 'totp', enrollment, spend: { kind: 'totp-step', step } };
      }
    }
    return undefined;
  },
};
