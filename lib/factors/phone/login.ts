import { verifyDeliveredCode } from '../../delivered-code/code';
import type { LoginFactor } from '../factor';
import { amrOfPhoneMethod, phoneDescriptor } from './descriptor';

/**
 * A 6-digit code texted or read out for this challenge (POST /mfa/phone/send): right only if it is the code the
 * challenge is waiting for (`pending_code`, sent by this factor to a usable phone enrollment of this user), unexpired,
 * and its keyed hash bound to this challenge and user. Spent as the email factor's is: the accepting transaction
 * removes that very `pending_code`. The login's method and `amr` are the way this code went (`sms`/`["sms"]`,
 * `voice`/`["tel"]`), as the send recorded it.
 */
export const phoneLoginFactor: LoginFactor = {
  ...phoneDescriptor,
  verify(enrollments, proof, { keys, now, challenge }) {
    const pending = challenge?.pendingCode;
    if (!pending || pending.factor !== phoneDescriptor.name) return undefined;
    const enrollment = enrollments.find((e) => e.enrollment_id === pending.enrollment_id && this.usable(e));
    if (!enrollment || enrollment.factor !== 'phone') return undefined;
    if (!keys) throw new Error('checking a phoned code needs ENCRYPTION_KEYS');
    const context = { channel: 'phone', purpose: 'login', challengeId: challenge.challengeId, userId: challenge.userId } as const;
    if (!verifyDeliveredCode(proof, pending, context, keys, now)) return undefined;
    const method = pending.method === 'voice' ? 'voice' : 'sms';
    return { method, enrollment, spend: { kind: 'pending-code', hash: pending.hash }, amr: amrOfPhoneMethod(method) };
  },
};
