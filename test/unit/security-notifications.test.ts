import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { MessageRejected, SESClient, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand, type PutCommandInput, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/send-security-notification';
import { matchesFilter, type FilterPattern } from '../../infra/local/stream-poller';
import securityFilter from '../../infra/security-notification-stream-filter.json';
import { getConfig, loadConfig } from '../../lib/config';
import { enrollmentSecretContext, seal } from '../../lib/crypto/secret-box';
import { SECURITY_NOTIFICATION_KINDS } from '../../lib/notify/kinds';
import { NotificationMarkerStore } from '../../lib/notify/marker-store';
import { emfMetrics } from '../../lib/emf-metrics';
import { maskedFactorName, notifyRecord, NOTIFICATION_METRICS, type NotifyDeps } from '../../lib/notify/notifications';
import { checkSecurityTemplates, renderSecurityEmail } from '../../lib/notify/templates';
import { budget, challenge, enrollment, quiet, record, T0, ticket, transitions } from '../support/lifecycle-records';

const ses = mockClient(SESClient);
const ddb = mockClient(DynamoDBDocumentClient);
const context = { functionName: 'sendSecurityNotification', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

/** The table as the notifier touches it: the enrolling ticket, the user's enrollments, and the markers under their conditions. */
class FakeTable {
  items = new Map<string, Record<string, unknown>>();
  key = (k: Record<string, unknown>) => `${k.pk}|${k.sk}`;
  put(input: PutCommandInput) {
    const item = input.Item!;
    const old = this.items.get(this.key(item));
    if (old && !['sending', 'failed'].includes(old.status as string)) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: marshall(old) as never });
    }
    this.items.set(this.key(item), structuredClone(item));
    return { Attributes: old };
  }
  update(input: UpdateCommandInput) {
    const item = this.items.get(this.key(input.Key!));
    if (item?.status !== 'sending') throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    const v = input.ExpressionAttributeValues!;
    Object.assign(item, { status: v[':status'], finished_at: v[':now'] }, v[':mid'] ? { message_id: v[':mid'] } : {});
    return {};
  }
  marker = () => [...this.items.values()].find((i) => String(i.pk).startsWith('NOTIFIED#'));
}
let table: FakeTable;
const sent = () => ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input as SendEmailCommandInput);
// A quiet record leads each batch, so that one failing record is a partial failure (a batch failing whole is a
// function error: Lambda retries it too, bisecting, as serverless.yml configures).
const invoke = (...records: DynamoDBRecord[]) => handler({ Records: [quiet[0]![1], ...records].map((r) => structuredClone(r)) }, context);

beforeEach(() => {
  ses.reset();
  ddb.reset();
  table = new FakeTable();
  table.items.set(`${ticket.pk}|TICKET`, { ...ticket, status: 'redeemed' });
  table.items.set(`${enrollment.pk}|${enrollment.sk}`, { ...enrollment });
  ddb.on(PutCommand).callsFake((input) => table.put(input));
  ddb.on(UpdateCommand).callsFake((input) => table.update(input));
  ddb.on(GetCommand).callsFake((input) => ({ Item: table.items.get(table.key(input.Key)) }));
  ddb.on(QueryCommand).callsFake((input) => ({
    Items: [...table.items.values()].filter((i) => i.pk === input.ExpressionAttributeValues[':pk'] && String(i.sk).startsWith('ENROLLMENT#')),
  }));
  ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });
});

const byType = (type: string) => transitions.find(([t]) => t === type)![1];
const added = byType('Enrollment Created');
const removed = byType('Enrollment Deleted');
const recoveryUsed = record('MODIFY', {
  before: challenge,
  after: { ...challenge, status: 'accepted', method: 'recovery-code', enrollment_id: enrollment.enrollment_id, accepted_at: T0 + 30_000 },
});
const lockedOut = byType('MFA User Locked Out');

describe('security notifications', () => {
  it.each([
    ['added', added, 'Um método de login foi adicionado à sua conta', 'Aplicativo autenticador'],
    ['removed', removed, 'Um método de login foi removido da sua conta', 'Aplicativo autenticador'],
    ['recovery_code_used', recoveryUsed, 'Seu código de recuperação foi usado para entrar', 'novo'],
    ['locked_out', lockedOut, 'Verificação de login pausada após tentativas com falha', 'Nenhum código foi aceito'],
  ])('%s: one mail to the enrolling ticket\'s address, in its locale, with when (UTC) and no secret', async (_kind, rec, subject, phrase) => {
    const res = await invoke(rec);
    expect(res.batchItemFailures).toEqual([]);
    const [mail, ...more] = sent();
    expect(more).toEqual([]);
    expect(mail!.Destination!.ToAddresses).toEqual([ticket.email]);
    expect(mail!.Message!.Subject!.Data).toBe(subject);
    const text = mail!.Message!.Body!.Text!.Data!;
    expect(text).toContain(phrase);
    expect(text).toMatch(/Quando: .*2026.* UTC/);
    // No help line without SECURITY_CONTACT_URL; nothing that acts; nothing from the item that is secret.
    expect(text).not.toContain('Ajuda');
    expect(mail!.Message!.Body!.Html!.Data!).not.toMatch(/<a /);
    for (const secret of [enrollment.totp_secret, enrollment.recovery_code_hash!, ticket.ticket_id, 'http']) expect(text).not.toContain(secret);
    expect(table.marker()).toMatchObject({ status: 'sent', message_id: 'ses-1' });
  });

  it('a record delivered twice sends once (the NOTIFIED#<event_id> marker)', async () => {
    await invoke(added);
    await invoke(added);
    expect(await invoke(added, removed)).toEqual({ batchItemFailures: [] });
    expect(sent().map((m) => m.Message!.Subject!.Data)).toEqual([
      'Um método de login foi adicionado à sua conta',
      'Um método de login foi removido da sua conta',
    ]);
  });

  it('a transient SES failure reports the record for retry (then the failure queue); the retry sends it once', async () => {
    ses.on(SendEmailCommand).rejectsOnce(Object.assign(new Error('Maximum sending rate exceeded.'), { name: 'Throttling' })).resolves({ MessageId: 'ses-1' });
    const first = await invoke(added);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: added.dynamodb!.SequenceNumber }]);
    expect(table.marker()).toMatchObject({ status: 'failed' });
    expect(await invoke(added)).toEqual({ batchItemFailures: [] });
    expect(await invoke(added)).toEqual({ batchItemFailures: [] });
    expect(sent()).toHaveLength(2); // the failed call and the one that went out
    expect(table.marker()).toMatchObject({ status: 'sent' });
  });

  it('SES down on every attempt: each delivery fails the record, so after the retries it lands in the failure queue', async () => {
    ses.on(SendEmailCommand).rejects(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    for (let i = 0; i < 3; i += 1) {
      expect((await invoke(lockedOut)).batchItemFailures).toEqual([{ itemIdentifier: lockedOut.dynamodb!.SequenceNumber }]);
    }
  });

  it('a permanent refusal is recorded and not retried', async () => {
    ses.on(SendEmailCommand).rejects(new MessageRejected({ message: 'Email address is not verified.', $metadata: {} }));
    expect(await invoke(added)).toEqual({ batchItemFailures: [] });
    expect(await invoke(added)).toEqual({ batchItemFailures: [] });
    expect(sent()).toHaveLength(1);
    expect(table.marker()).toMatchObject({ status: 'rejected' });
  });

  it('an attempt that died after marking (marker left `sending`) is sent by the redelivery: never lost silently', async () => {
    ses.on(SendEmailCommand).rejectsOnce(new Error('Task timed out')).resolves({ MessageId: 'ses-1' });
    ddb.on(UpdateCommand).rejectsOnce(new Error('process killed')).callsFake((input) => table.update(input)); // the `failed` mark never lands
    expect((await invoke(removed)).batchItemFailures).toHaveLength(1);
    expect(table.marker()).toMatchObject({ status: 'sending' });
    expect(await invoke(removed)).toEqual({ batchItemFailures: [] });
    expect(table.marker()).toMatchObject({ status: 'sent' });
  });

  it('no address anywhere (ticket swept, no identity lookup): logged without personal data, counted, no failure', async () => {
    table.items.delete(`${ticket.pk}|TICKET`);
    const res = await invoke(added);
    expect(res.batchItemFailures).toEqual([]);
    expect(sent()).toEqual([]);
  });

  it('a ticket of another user is never used', async () => {
    table.items.set(`${ticket.pk}|TICKET`, { ...ticket, user_id: 'someone-else' });
    await invoke(added);
    expect(sent()).toEqual([]);
  });

  describe('the address chain with sealed addresses', () => {
    const keys = () => getConfig('encryptionKeys').encryptionKeys;
    const sealFor = (address: string, item: { pk: string; sk: string }) =>
      seal(Buffer.from(address), keys(), enrollmentSecretContext(item.pk.slice('USER#'.length), item.sk.slice('ENROLLMENT#'.length)));
    const emailEnrollment = (() => {
      const item = { pk: enrollment.pk, sk: 'ENROLLMENT#enr_email0000000000000000', enrollment_id: 'enr_email0000000000000000' };
      return {
        ...item, type: 'enrollment', user_id: ticket.user_id, factor: 'email', status: 'confirmed', name: 'Email',
        email: sealFor('ada.factor@example.com', item), masked_email: 'a•••@example.com', created_at: T0 + 120_000,
      };
    })();
    const to = () => sent().map((m) => m.Destination!.ToAddresses);

    it("the user's email factor comes first, in the enrolling ticket's locale", async () => {
      table.items.set(`${emailEnrollment.pk}|${emailEnrollment.sk}`, emailEnrollment);
      expect(await invoke(lockedOut)).toEqual({ batchItemFailures: [] });
      expect(to()).toEqual([['ada.factor@example.com']]);
    });

    it('removing that very email enrollment still tells its address (from the old image)', async () => {
      const gone = record('REMOVE', { before: emailEnrollment as never });
      expect(await invoke(gone)).toEqual({ batchItemFailures: [] });
      expect(to()).toEqual([['ada.factor@example.com']]);
    });

    it('an address sealed for another user or enrollment is not opened: the chain goes on', async () => {
      table.items.set(`${emailEnrollment.pk}|${emailEnrollment.sk}`, { ...emailEnrollment, email: sealFor('x@example.com', enrollment) });
      await invoke(lockedOut);
      expect(to()).toEqual([[ticket.email]]);
    });

    it("the ticket's address as the enrollment kept it, in its locale, once the ticket is swept", async () => {
      table.items.delete(`${ticket.pk}|TICKET`);
      const kept = { ...enrollment, contact_email: sealFor('kept@example.com', enrollment), contact_locale: 'fr' };
      table.items.set(`${enrollment.pk}|${enrollment.sk}`, kept);
      await invoke(record('INSERT', { after: kept as never }));
      expect(to()).toEqual([['kept@example.com']]);
      expect(sent()[0]!.Message!.Subject!.Data).toBe('Une méthode de connexion a été ajoutée à votre compte');
      // A later login event names no enrollment: the user's most recent one from a ticket answers.
      await invoke(lockedOut);
      expect(to()).toEqual([['kept@example.com'], ['kept@example.com']]);
    });
  });

  it('writes that are not these events send nothing', async () => {
    const others = transitions.filter(([t]) => !['Enrollment Created', 'Enrollment Deleted', 'MFA User Locked Out'].includes(t)).map(([, r]) => r);
    expect(await invoke(...others, ...quiet.map(([, r]) => r))).toEqual({ batchItemFailures: [] });
    expect(sent()).toEqual([]);
  });
});

describe('notifyRecord with its own settings', () => {
  const deps = (kinds: Iterable<string>, contactUrl?: string, identity?: string) => {
    const db = DynamoDBDocumentClient.from(new (require('@aws-sdk/client-dynamodb').DynamoDBClient)({}));
    return {
      db,
      tableName: 't',
      identityLookup: identity ? async () => identity : undefined,
      keys: getConfig('encryptionKeys').encryptionKeys,
      ses: new SESClient({}),
      markers: new NotificationMarkerStore(db, 't'),
      config: { kinds: new Set(kinds) as never, contactUrl, emailFrom: 'security@example.com', sesConfigurationSet: undefined },
      logger: { info: vi.fn(), warn: vi.fn(), error: vi.fn() },
      metrics: { addMetric: vi.fn<NotifyDeps['metrics']['addMetric']>() },
      now: () => T0,
    } satisfies NotifyDeps;
  };

  it('a kind switched off sends nothing and writes no marker', async () => {
    const d = deps(SECURITY_NOTIFICATION_KINDS.filter((k) => k !== 'added'));
    await notifyRecord(d, added);
    expect(sent()).toEqual([]);
    expect(table.marker()).toBeUndefined();
    await notifyRecord(deps([]), lockedOut);
    expect(sent()).toEqual([]);
  });

  it('SECURITY_CONTACT_URL adds the help line (escaped in HTML)', async () => {
    await notifyRecord(deps(SECURITY_NOTIFICATION_KINDS, 'https://help.example.com/security?a=1&b=2'), added);
    const [mail] = sent();
    expect(mail!.Source).toBe('security@example.com');
    expect(mail!.Message!.Body!.Text!.Data).toContain('Ajuda: https://help.example.com/security?a=1&b=2');
    expect(mail!.Message!.Body!.Html!.Data).toContain('href="https://help.example.com/security?a=1&amp;b=2"');
  });

  it('falls back to the identity lookup when the ticket is gone, in the default locale; none anywhere is counted', async () => {
    table.items.delete(`${ticket.pk}|TICKET`);
    await notifyRecord(deps(SECURITY_NOTIFICATION_KINDS, undefined, 'ada@example.com'), lockedOut);
    expect(sent()[0]!.Destination!.ToAddresses).toEqual(['ada@example.com']);
    expect(sent()[0]!.Message!.Subject!.Data).toBe('Sign-in verification paused after failed attempts');
    const none = deps(SECURITY_NOTIFICATION_KINDS);
    await notifyRecord(none, byType('MFA User Locked Out'));
    expect(none.metrics.addMetric).toHaveBeenCalledWith(NOTIFICATION_METRICS.unaddressed, 'Count', 1);
    expect(JSON.stringify((none.logger.warn as any).mock.calls)).not.toMatch(/@|auth0/);
  });
});

describe('security templates and settings', () => {
  it('every shipped locale passes the check', () => expect(() => checkSecurityTemplates()).not.toThrow());

  it('escapes the factor name in HTML and strips control characters from the subject and bodies', () => {
    const out = renderSecurityEmail('en', {
      kind: 'added', occurred_at: 'now', occurred_at_iso: '', factor: 'webauthn-roaming', factor_name: '<b>key</b>\r\nBcc: x', contact_url: '', locale: 'en',
    });
    expect(out.html).toContain('Security key (&lt;b&gt;key&lt;/b&gt;  Bcc: x)');
    expect(out.text).not.toContain('\r');
  });

  it('writes its counts as one embedded-metric line in the namespace and service dimension the alarms read', () => {
    const lines: string[] = [];
    const m = emfMetrics('mfa-tickets', (line) => lines.push(line));
    m.flush();
    m.addMetric(NOTIFICATION_METRICS.sent, 'Count', 1);
    m.addMetric(NOTIFICATION_METRICS.sent, 'Count', 1);
    m.flush();
    expect(lines).toHaveLength(1);
    const emf = JSON.parse(lines[0]!);
    expect(emf._aws.CloudWatchMetrics).toEqual([{ Namespace: 'mfa-tickets', Dimensions: [['service']], Metrics: [{ Name: 'SecurityNotificationsSent', Unit: 'Count' }] }]);
    expect(emf.SecurityNotificationsSent).toBe(2);
    expect(typeof emf.service).toBe('string');
  });

  it('masks the factor name', () => {
    expect(maskedFactorName('Authenticator app')).toBe('');
    expect(maskedFactorName('ada@example.com')).toBe('a•••@example.com');
    expect(maskedFactorName('YubiKey 5 serial 12345678')).toBe('YubiKey 5 serial •••78');
    expect(maskedFactorName('A very long name for my favourite key')).toBe('A very long name for my …');
  });

  it('SECURITY_NOTIFICATIONS and SECURITY_CONTACT_URL are validated', () => {
    const base = { STAGE: 's', TABLE_NAME: 't' };
    expect([...loadConfig(base, []).securityNotifications.kinds]).toEqual([...SECURITY_NOTIFICATION_KINDS]);
    expect([...loadConfig({ ...base, SECURITY_NOTIFICATIONS: 'added, locked_out' }, []).securityNotifications.kinds]).toEqual(['added', 'locked_out']);
    expect(loadConfig({ ...base, SECURITY_NOTIFICATIONS: 'none' }, []).securityNotifications.kinds.size).toBe(0);
    expect(() => loadConfig({ ...base, SECURITY_NOTIFICATIONS: 'added,typo' }, [])).toThrow(/SECURITY_NOTIFICATIONS: must be "none" or a comma-separated list/);
    expect(loadConfig({ ...base, SECURITY_CONTACT_URL: 'mailto:security@example.com' }, []).securityNotifications.contactUrl).toBe('mailto:security@example.com');
    for (const bad of ['http://help.example.com', 'javascript:alert(1)', 'not a url']) {
      expect(() => loadConfig({ ...base, SECURITY_CONTACT_URL: bad }, []), bad).toThrow(/SECURITY_CONTACT_URL: must be an https: or mailto: URL/);
    }
  });

  it('the stream filter passes the records these notifications come from, and not the others', () => {
    const passes = (r: DynamoDBRecord) => (securityFilter as unknown as FilterPattern[]).some((p) => matchesFilter(p, r));
    for (const r of [added, removed, recoveryUsed, lockedOut]) expect(passes(r)).toBe(true);
    expect(passes(byType('MFA Challenge Accepted'))).toBe(false); // a TOTP login
    expect(passes(record('MODIFY', { before: budget, after: { ...budget, mfa_failure_tat: T0 } }))).toBe(false);
    // A later write to a locked-out user still carries locked_out_at: it passes, and eventsOf finds no event in it.
    for (const [name, r] of quiet.filter(([n]) => !n.includes('locked_out_at unchanged'))) expect(passes(r), name).toBe(false);
  });
});
