import { MessageRejected, SendEmailCommand, SESClient, SESServiceException } from '@aws-sdk/client-ses';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EMAIL_LOCALES } from '../../lib/email/locales';
import { AppError } from '../../lib/errors';
import { checkCodeTemplates, renderCodeEmail, type CodeEmailPurpose } from '../../lib/factors/email/message';
import { codeEmailConfig, sendCodeEmail } from '../../lib/factors/email/send';
import { logger } from '../../lib/log';

const CODE = '048213';
const PURPOSES: CodeEmailPurpose[] = ['enroll', 'login'];
const cases = EMAIL_LOCALES.flatMap((locale) => PURPOSES.map((purpose) => [locale, purpose] as const));

/** The hidden preview line (the layout's first div): what a lock screen shows next to the subject. */
const preheader = (html: string) => /<div style="display:none;[^"]*">([^<]*)<\/div>/.exec(html)?.[1];

describe('code email templates', () => {
  it('ship every locale, checked with a sample code (in both bodies, never in the subject)', () => {
    expect(() => checkCodeTemplates()).not.toThrow();
  });

  it.each(cases)('%s, %s: the code in both bodies, not in the subject or preview line; the 10 minutes written in the locale', (locale, purpose) => {
    const email = renderCodeEmail(locale, { code: CODE, purpose, expires_in_minutes: 10 });
    expect(email.subject.length).toBeGreaterThan(5);
    expect(email.subject).not.toContain(CODE);
    expect(email.text).toContain(`    ${CODE}\n`);
    expect(email.html).toContain(`>${CODE}</p>`);
    expect(preheader(email.html)).toBeTruthy();
    expect(preheader(email.html)).not.toContain(CODE);
    expect(email.html).toContain(`<html lang="${locale}">`);
    const tenMinutes = { en: 'in 10 minutes', es: 'dentro de 10 minutos', fr: 'dans 10 minutes', de: 'in 10 Minuten', 'pt-BR': 'em 10 minutos' }[locale];
    expect(email.text).toContain(tenMinutes);
    expect(email.html).toContain(tenMinutes);
    // Nothing to click: the code is typed into the page that asked for it.
    expect(email.html).not.toMatch(/<a\s/);
    // Every control character in the output comes from the template's own line breaks.
    expect(email.subject).not.toMatch(/\p{Cc}/u);
    expect(email.text.replace(/\n/g, '')).not.toMatch(/\p{Cc}/u);
  });

  it('words the two purposes differently in every locale', () => {
    for (const locale of EMAIL_LOCALES) {
      const enroll = renderCodeEmail(locale, { code: CODE, purpose: 'enroll', expires_in_minutes: 10 });
      const login = renderCodeEmail(locale, { code: CODE, purpose: 'login', expires_in_minutes: 10 });
      expect(enroll.subject).not.toBe(login.subject);
      expect(enroll.text).not.toBe(login.text);
    }
    expect(renderCodeEmail('en', { code: CODE, purpose: 'login', expires_in_minutes: 10 }).subject).toBe('Your sign-in code');
    expect(renderCodeEmail('en', { code: CODE, purpose: 'enroll', expires_in_minutes: 10 }).subject).toBe('Confirm your email address for sign-in codes');
  });

  it('escapes values in the HTML and strips control characters everywhere, so no value adds markup or a line', () => {
    const email = renderCodeEmail('en', { code: '<b>1&2</b>\r\nBcc: x@evil.test\u0007', purpose: 'login', expires_in_minutes: 10 });
    expect(email.html).toContain('&lt;b&gt;1&amp;2&lt;/b&gt;  Bcc: x@evil.test ');
    expect(email.html).not.toContain('<b>');
    expect(email.text).toContain('    <b>1&2</b>  Bcc: x@evil.test \n');
    for (const part of [email.subject, email.html, email.text]) {
      expect(part).not.toContain('\r');
      expect(part).not.toContain('\u0007');
    }
  });
});

describe('sending the code email', () => {
  const ses = mockClient(SESClient);
  const client = new SESClient({ region: 'us-east-1' });
  const config = codeEmailConfig({ emailFrom: 'MFA <no-reply@mfa.example.com>', sesConfigurationSet: 'mfa-events' });
  const TO = 'ada.lovelace@example.com';
  let logged: unknown[][];

  beforeEach(() => {
    ses.reset();
    logged = [];
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      vi.spyOn(logger, level).mockImplementation((...args: unknown[]) => void logged.push(args));
    }
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  const logText = () => JSON.stringify(logged);

  it('sends one SendEmail from the configured sender and set, in the locale asked for, and logs neither address nor code', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'msg-1' });
    await expect(sendCodeEmail(client, config, { to: TO, locale: 'fr-CA', code: CODE, purpose: 'login' })).resolves.toEqual({ messageId: 'msg-1' });
    const calls = ses.commandCalls(SendEmailCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input.Source).toBe('MFA <no-reply@mfa.example.com>');
    expect(input.Destination).toEqual({ ToAddresses: [TO] });
    expect(input.ConfigurationSetName).toBe('mfa-events');
    expect(input.Tags).toEqual([{ Name: 'email_kind', Value: 'code-login' }]);
    expect(input.Message?.Subject?.Data).toBe('Votre code de connexion');
    expect(input.Message?.Body?.Text?.Data).toContain(CODE);
    expect(input.Message?.Body?.Html?.Data).toContain(CODE);
    expect(logged.length).toBeGreaterThan(0);
    expect(logText()).not.toContain(CODE);
    expect(logText()).not.toMatch(/ada|lovelace|example\.com/i);
  });

  it('falls back to the default locale, and sends no tags without a configuration set', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'msg-2' });
    await sendCodeEmail(client, codeEmailConfig({ emailFrom: 'no-reply@mfa.example.com', sesConfigurationSet: undefined }), { to: TO, locale: 'ja', code: CODE, purpose: 'enroll' });
    const input = ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
    expect(input.Message?.Subject?.Data).toBe('Confirm your email address for sign-in codes');
    expect(input.ConfigurationSetName).toBeUndefined();
    expect(input.Tags).toBeUndefined();
  });

  it('answers a refusal by SES with 422 email_rejected, repeating neither SES\'s text (it quotes the address) nor the code', async () => {
    ses.on(SendEmailCommand).rejects(
      new MessageRejected({ message: `Email address is not verified. The following identities failed the check in region US-EAST-1: ${TO}`, $metadata: {} }),
    );
    const err = await sendCodeEmail(client, config, { to: TO, locale: 'en', code: CODE, purpose: 'enroll' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ status: 422, code: 'email_rejected' });
    expect((err as AppError).message).not.toContain(TO);
    expect(logText()).toContain('MessageRejected');
    expect(logText()).not.toMatch(/ada|lovelace|example\.com/i);
    expect(logText()).not.toContain(CODE);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  });

  it('answers throttling or an outage with 503 email_unavailable, without retrying the send itself', async () => {
    ses.on(SendEmailCommand).rejects(new SESServiceException({ name: 'Throttling', $fault: 'client', message: 'Maximum sending rate exceeded.', $metadata: {} }));
    await expect(sendCodeEmail(client, config, { to: TO, locale: undefined, code: CODE, purpose: 'login' })).rejects.toMatchObject({
      status: 503,
      code: 'email_unavailable',
    });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  });

  it('needs EMAIL_FROM, failing loudly at cold start without it', () => {
    expect(() => codeEmailConfig({ emailFrom: undefined, sesConfigurationSet: undefined })).toThrow(/EMAIL_FROM: is required/);
  });
});
