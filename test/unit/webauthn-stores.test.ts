import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { jwtVerify, importSPKI } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, resultSigningConfig } from '../../lib/config';
import { EnrollmentStore } from '../../lib/enrollment/enrollment-store';
import { credentialKey, enrollmentKey, enrollmentPointerKey, type WebauthnEnrollmentRecord } from '../../lib/enrollment/records';
import { challengeHash, newCeremonyChallenge } from '../../lib/factors/webauthn';
import { verifyRegistration } from '../../lib/factors/webauthn-ceremony';
import { AppError } from '../../lib/errors';
import { challengeKey, type ChallengeRecord } from '../../lib/mfa/challenge';
import { MfaStore } from '../../lib/mfa/mfa-store';
import { verifyLoginWebauthn } from '../../lib/mfa/webauthn-login';
import { loginCeremonyChallenge } from '../../lib/mfa/webauthn-options';
import type { TicketRecord } from '../../lib/tickets/ticket';
import { SoftAuthenticator } from '../support/soft-authenticator';

/** The AWS edge of WebAuthn: what the redeem and the login ask DynamoDB to guarantee. */
const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const config = resultSigningConfig({ ...loadConfig(process.env), publicBaseUrl: 'https://mfa.example.com' });
const webauthn = config.webauthn!;
const NOW = 1_800_000_000_000;
const ENR = 'enr_AAAAAAAAAAAAAAAAAAAAAA';

beforeEach(() => ddb.reset());

async function keyEnrollment(key: SoftAuthenticator): Promise<WebauthnEnrollmentRecord> {
  const challenge = newCeremonyChallenge();
  const credential = await verifyRegistration(key.register(challenge), { challengeHash: challengeHash(challenge), config: webauthn, requireUserVerification: false });
  return { ...enrollmentKey('user-1', ENR), type: 'enrollment', enrollment_id: ENR, user_id: 'user-1', status: 'confirmed', name: 'Security key', factor: 'webauthn-roaming', rp_id: webauthn.rpId, ticket_id: 'tkt_x', created_at: NOW - 1000, ...credential };
}

describe('redeeming a ticket with a security key', () => {
  it('spends the stored challenge (unexpired) and puts the enrollment, its pointer with the credential id, and the credential item, all conditional', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const enrollment = await keyEnrollment(new SoftAuthenticator({ origin: webauthn.origin, rpId: webauthn.rpId }));
    const ticket = { ticket_id: 'tkt_x', user_id: 'user-1', allow_multiple_enrollments: false } as TicketRecord;
    const result = await new EnrollmentStore(client, 't').redeem(ticket, { kind: 'webauthn', challengeHash: 'h', credentialId: enrollment.credential_id, generation: 0 }, enrollment, NOW);
    expect(result).toEqual({ ok: true });
    const [redeem, put, pointer, , credential] = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(redeem!.Update!.ConditionExpression).toBe('#status = :pending AND expires_at > :now AND attempts BETWEEN :one AND :max AND (attribute_not_exists(generation) OR generation = :generation) AND pending_webauthn.challenge_hash = :tx AND pending_webauthn.expires_at > :now');
    expect(redeem!.Update!.ExpressionAttributeValues).toMatchObject({ ':tx': 'h', ':now': NOW });
    expect(redeem!.Update!.UpdateExpression).toContain('REMOVE pending_shard, pending_totp, pending_webauthn');
    expect(put!.Put!.Item).toMatchObject({ factor: 'webauthn-roaming', credential_id: enrollment.credential_id });
    expect(pointer!.Put!.Item).toMatchObject({ ...enrollmentPointerKey(ENR), credential_id: enrollment.credential_id });
    expect(credential!.Put).toMatchObject({ Item: { ...credentialKey(enrollment.credential_id), user_id: 'user-1', enrollment_id: ENR }, ConditionExpression: 'attribute_not_exists(pk)' });
  });

  it('reports a credential id that is already registered when only its item refused', async () => {
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({ message: 'x', $metadata: {}, CancellationReasons: [{ Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed' }] }),
    );
    const enrollment = await keyEnrollment(new SoftAuthenticator({ origin: webauthn.origin, rpId: webauthn.rpId }));
    const ticket = { ticket_id: 'tkt_x', user_id: 'user-1', allow_multiple_enrollments: true } as TicketRecord;
    expect(await new EnrollmentStore(client, 't').redeem(ticket, { kind: 'webauthn', challengeHash: 'h', credentialId: enrollment.credential_id, generation: 0 }, enrollment, NOW)).toEqual({
      ok: false,
      reason: 'credential_registered',
    });
  });
});

describe('a login with a security key', () => {
  const challenge: ChallengeRecord = {
    ...challengeKey('chl_BBBBBBBBBBBBBBBBBBBBBB'), type: 'challenge', challenge_id: 'chl_BBBBBBBBBBBBBBBBBBBBBB', user_id: 'user-1',
    result_url: 'https://app.example.com/cb', factors: ['webauthn-roaming'], status: 'pending', attempts: 0, created_at: NOW - 1000, expires_at: NOW + 60_000, ttl: 0,
  };
  const deps = { store: new MfaStore(client, 't'), config, now: () => NOW };

  it('accepts the challenge with its amr and moves the counter only from the value it read, in one transaction; the token says so', async () => {
    const key = new SoftAuthenticator({ origin: webauthn.origin, rpId: webauthn.rpId, counter: 41 });
    const enrollment = await keyEnrollment(key);
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'USER#user-1', sk: 'PROFILE', type: 'user' }, enrollment] });
    ddb.on(TransactWriteCommand).resolves({});
    const assertion = key.assert(loginCeremonyChallenge(config.signingKeys, challenge.challenge_id));
    const result = await verifyLoginWebauthn(deps, challenge, assertion);
    expect(result).toMatchObject({ mfa_method: 'webauthn', enrollment_id: ENR });
    const [accept, spend] = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(accept!.Update!.UpdateExpression).toContain('amr = :amr');
    expect(accept!.Update!.ExpressionAttributeValues).toMatchObject({ ':method': 'webauthn', ':amr': ['hwk', 'user'] });
    expect(spend!.Update).toMatchObject({ Key: enrollmentKey('user-1', ENR), ConditionExpression: 'sign_count = :seen', ExpressionAttributeValues: { ':seen': 41, ':next': 42, ':now': NOW } });
    const publicKey = await importSPKI(config.resultSigningKeys.current.publicKey.export({ format: 'pem', type: 'spki' }).toString(), 'ES256');
    const { payload } = await jwtVerify(result.signature, publicKey);
    expect(payload).toMatchObject({ amr: ['hwk', 'user'], mfa_method: 'webauthn', sub: 'user-1' });
  });

  it('a counter that went backwards is refused like a wrong code: the failure is counted, nothing accepted', async () => {
    const key = new SoftAuthenticator({ origin: webauthn.origin, rpId: webauthn.rpId, counter: 41 });
    const enrollment = { ...(await keyEnrollment(key)), sign_count: 100 };
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'USER#user-1', sk: 'PROFILE', type: 'user' }, enrollment] });
    ddb.on(TransactWriteCommand).resolves({});
    const assertion = key.assert(loginCeremonyChallenge(config.signingKeys, challenge.challenge_id));
    const error = await verifyLoginWebauthn(deps, challenge, assertion).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('invalid_code');
    const items = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items.map((i) => i.Update?.UpdateExpression ?? '')).toEqual([expect.stringContaining('SET attempts = :attempts'), expect.stringContaining('SET mfa_failure_tat')]);
  });
});
