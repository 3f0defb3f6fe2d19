import { verifyDeliveredCode } from '../../delivered-code/code';
import type { LoginFactor } from '../factor';
import { emailDescriptor } from './descriptor';

/**
 * A 6-digit code sent by email for this challenge (POST /mfa/email/send): right only if it is the code the challenge
 * is waiting for (`pending_code`, sent by this factor to a usable email enrollment of this user), unexpired, and its
 * keyed hash bound to this challenge and user. Spending it removes that very `pending_code` in the transaction that
 * accepts the login, so it works once; a newer send replaces it, and the older code then verifies nothing. Without a
 * challenge (the app's verify API) there is no code to match.
 */
export const emailLoginFactor: LoginFactor = {
  ...emailDescriptor,
  verify(enrollments, proof, { keys, now, challenge }) {
    const pending = challenge?.pendingCode;
    if (!pending || pending.factor !== emailDescriptor.name) return undefined;
    const enrollment = enrollments.find((e) => e.enrollment_id === pending.enrollment_id && this.usable(e));
    if (!enrollment) return undefined;
    if (!keys) throw new Error('checking an emailed code needs ENCRYPTION_KEYS');
    const context = { channel: 'email', purpose: 'login', challengeId: challenge.challengeId, userId: challenge.userId } as const;
    if (!verifyDeliveredCode(proof, pending, context, keys, now)) return undefined;
    return { method: 'email', enrollment, spend: { kind: 'pending-code', hash: pending.hash } };
  },
};
