import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { jwtVerify, importSPKI } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, resultSigningConfig } from '../../lib/config';
import { EnrollmentStore, RETIRED_CODES_PER_REDEEM } from '../../lib/enrollment/enrollment-store';
import { credentialKey, enrollmentKey, enrollmentPointerKey, type WebauthnEnrollmentRecord } from '../../lib/store/records';
import { challengeHash, newCeremonyChallenge } from '../../lib/factors/webauthn/webauthn';
import { verifyRegistration } from '../../lib/factors/webauthn/ceremony';
import { AppError } from '../../lib/errors';
import { challengeKey, type ChallengeRecord } from '../../lib/mfa/challenge';
import { MfaStore } from '../../lib/mfa/mfa-store';
import { webauthnLoginFor } from '../../lib/factors/webauthn/login';
import { loginCeremonyChallenge } from '../../lib/factors/webauthn/prompt';
import { login } from '../../lib/mfa/login';
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
    const result = await new EnrollmentStore(client, 't').redeem(ticket, { kind: 'webauthn', challengeHash: 'h', credentialId: enrollment.credential_id, generation: 0 }, enrollment, NOW, []);
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
    expect(await new EnrollmentStore(client, 't').redeem(ticket, { kind: 'webauthn', challengeHash: 'h', credentialId: enrollment.credential_id, generation: 0 }, enrollment, NOW, [])).toEqual({
      ok: false,
      reason: 'credential_registered',
    });
  });
});

describe('where a redemption came from', () => {
  it('the ticket and the new enrollment both keep the request\'s origin with the time of the write; the other items do not', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const enrollment = await keyEnrollment(new SoftAuthenticator({ origin: webauthn.origin, rpId: webauthn.rpId }));
    const ticket = { ticket_id: 'tkt_x', user_id: 'user-1' } as TicketRecord;
    const origin = { via: 'device', ip: '198.51.100.4', ua_summary: 'okhttp' } as const;
    const proof = { kind: 'webauthn', challengeHash: 'h', credentialId: enrollment.credential_id, generation: 0 } as const;
    expect(await new EnrollmentStore(client, 't').redeem(ticket, proof, enrollment, NOW, [], origin)).toEqual({ ok: true });
    const [redeemed, created, pointer, profile, credential] = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(redeemed!.Update!.UpdateExpression).toContain(', origin = :origin REMOVE');
    expect(redeemed!.Update!.ExpressionAttributeValues![':origin']).toEqual({ ...origin, at: NOW });
    expect(created!.Put!.Item).toMatchObject({ enrollment_id: enrollment.enrollment_id, origin: { ...origin, at: NOW } });
    expect([pointer!.Put!.Item?.origin, profile!.Update!.UpdateExpression, credential!.Put!.Item?.origin]).toEqual([undefined, expect.not.stringContaining('origin'), undefined]);
  });
});

describe('one live recovery code per user', () => {
  it('the redeem removes the codes of the enrollments it is given, after the credential item; a failed removal reads as busy', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const enrollment = await keyEnrollment(new SoftAuthenticator({ origin: webauthn.origin, rpId: webauthn.rpId }));
    const ticket = { ticket_id: 'tkt_x', user_id: 'user-1', allow_multiple_enrollments: true } as TicketRecord;
    const store = new EnrollmentStore(client, 't');
    const proof = { kind: 'webauthn', challengeHash: 'h', credentialId: enrollment.credential_id, generation: 0 } as const;
    expect(await store.redeem(ticket, proof, enrollment, NOW, ['enr_older0000000000000000'])).toEqual({ ok: true });
    const items = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items).toHaveLength(6);
    expect(items[4]!.Put!.Item).toMatchObject(credentialKey(enrollment.credential_id));
    expect(items[5]!.Update).toEqual({
      TableName: 't',
      Key: enrollmentKey('user-1', 'enr_older0000000000000000'),
      UpdateExpression: 'REMOVE recovery_code_hash',
      ConditionExpression: 'attribute_exists(recovery_code_hash)',
    });
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({ message: 'x', $metadata: {}, CancellationReasons: [{ Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed' }] }),
    );
    expect(await store.redeem(ticket, proof, enrollment, NOW, ['enr_older0000000000000000'])).toEqual({ ok: false, reason: 'busy' });
  });

  it('reads the holders from the user\'s partition by key, capped so that a redeem stays within a transaction\'s 100 items', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `enr_${String(i).padStart(22, '0')}`);
    ddb.on(QueryCommand).resolves({ Items: [...ids.map((id) => ({ sk: `ENROLLMENT#${id}`, enrollment_id: id })), { sk: 'ENROLLMENT#enr_misfiled', enrollment_id: 'enr_other' }] });
    const holders = await new EnrollmentStore(client, 't').recoveryCodeHolders('user-1');
    expect(holders).toEqual(ids.slice(0, RETIRED_CODES_PER_REDEEM));
    expect(RETIRED_CODES_PER_REDEEM + 5).toBeLessThanOrEqual(100);
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
    const result = await login(deps, challenge, webauthnLoginFor(config, challenge.challenge_id), assertion);
    expect(result).toMatchObject({ mfa_method: 'webauthn', enrollment_id: ENR });
    // The first transaction reserved the attempt; the second accepts.
    const [accept, spend] = ddb.commandCalls(TransactWriteCommand)[1]!.args[0].input.TransactItems!;
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
    ddb.on(UpdateCommand).resolves({ Attributes: { ...challenge, attempts: 1, failures: 1 } });
    const assertion = key.assert(loginCeremonyChallenge(config.signingKeys, challenge.challenge_id));
    const error = await login(deps, challenge, webauthnLoginFor(config, challenge.challenge_id), assertion).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('invalid_code');
    // The attempt reserved before the check (challenge and budget) stays spent; the challenge counts the failure.
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
    const items = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items.map((i) => i.Update?.UpdateExpression ?? '')).toEqual([expect.stringContaining('SET attempts = attempts + :one'), expect.stringContaining('SET mfa_failure_tat')]);
    expect(ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input.UpdateExpression)).toEqual([expect.stringContaining('failures = if_not_exists(failures, :zero) + :one')]);
  });
});
