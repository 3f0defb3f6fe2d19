import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { assetCatalog } from '../../lib/enrollment/assets';
import { PageRenderer } from '../../lib/enrollment/page';
import { html } from '../../lib/http';
import { challengeKey, type ChallengeRecord } from '../../lib/mfa/challenge';
import { LOGIN_TEXT } from '../../lib/mfa/messages';
import { loginPage } from '../../lib/mfa/page';
import { signRequestToken } from '../../lib/mfa/request-token';
import { attribute, decodeHtml, inlineScripts, loadWidget, pageFiles } from '../support/page';

const files = pageFiles();
const config = { ...loadConfig(process.env), publicBaseUrl: 'https://mfa.example.com' };
const assets = assetCatalog({ script: files.script, style: files.style });
const NOW = 1_800_000_000_000;
const ORIGIN = 'https://mfa.example.com';
const ID = 'chl_AAAAAAAAAAAAAAAAAAAAAA';

const challenge = (overrides: Partial<ChallengeRecord> = {}): ChallengeRecord => ({
  ...challengeKey(ID),
  type: 'challenge',
  challenge_id: ID,
  user_id: 'auth0|"ada"<1>',
  result_url: 'https://app.example.com/cb?x=1',
  state: 's',
  factors: ['otp', 'recovery-code'],
  status: 'pending',
  attempts: 0,
  created_at: NOW - 1000,
  expires_at: NOW + 600_000,
  ttl: 0,
  ...overrides,
});

/** The login page over a store that can only read: a page cannot change a challenge. */
async function render(template: string, record: ChallengeRecord | undefined, options: { acceptLanguage?: string; expiresAt?: number } = {}) {
  const reads: string[] = [];
  const token = await signRequestToken({ sub: 'auth0|"ada"<1>', txid: ID, issuedAt: NOW - 1000, expiresAt: options.expiresAt ?? NOW + 600_000 }, config.signingKeys, config.publicBaseUrl);
  const page = await loginPage(
    {
      store: { getChallenge: async (id) => (reads.push(id), record) },
      config,
      renderer: new PageRenderer({ enroll: template, message: files.message }),
      assetUrls: assets.urls,
      now: () => NOW,
    },
    { requestToken: token, acceptLanguage: options.acceptLanguage, origin: ORIGIN, requestId: 'req-1' },
  );
  return { ...page, token, reads };
}

describe('the hosted page in login mode', () => {
  it('renders the default template with requestToken set and ticket absent, in the challenge’s or browser’s locale', async () => {
    const page = await render(files.enroll, challenge(), { acceptLanguage: 'pt-BR,en;q=0.5' });
    expect(page.statusCode).toBe(200);
    expect(page.reads).toEqual([ID]);
    expect(attribute(page.body, 'data-ticket')).toBe('');
    expect(attribute(page.body, 'data-request-token')).toBe(page.token);
    expect(attribute(page.body, 'data-post-action-url')).toBe('https://app.example.com/cb?x=1');
    expect(page.body).toContain(LOGIN_TEXT['pt-BR'].heading);
    expect(page.formActionOrigin).toBe('https://app.example.com');
    expect(html(200, page.body, { nonce: page.nonce, formActionOrigin: page.formActionOrigin }).headers!['content-security-policy']).toContain(
      "form-action 'self' https://app.example.com;",
    );
    expect((await render(files.enroll, challenge({ email_locale: 'de' }), { acceptLanguage: 'fr' })).body).toContain(LOGIN_TEXT.de.heading);
  });

  it('renders the seed’s example template in login mode: its script hands requestToken and postActionURL to the widget', async () => {
    const page = await render(files.seed, challenge());
    expect(page.body).toContain('authenticate below');
    let options: Record<string, any> = {};
    new Function('Auth0MFAWidget', inlineScripts(page.body)[0]!)(function (o: Record<string, any>) {
      options = o;
    });
    expect(decodeHtml(options.requestToken)).toBe(page.token);
    expect(options.ticket).toBeUndefined();
    expect(decodeHtml(options.postActionURL)).toBe('https://app.example.com/cb?x=1');
    expect(decodeHtml(options.userData.userId)).toBe('auth0|"ada"<1>');
  });

  it('answers a polite page for an unknown, expired, used or locked challenge, in the browser’s language', async () => {
    const cases: Array<[ChallengeRecord | undefined, number, string, number?]> = [
      [undefined, 404, LOGIN_TEXT.fr.messages.not_found.title],
      [challenge({ status: 'accepted' }), 410, LOGIN_TEXT.fr.messages.accepted.title],
      [challenge({ status: 'locked' }), 410, LOGIN_TEXT.fr.messages.locked.title],
      [challenge({ expires_at: NOW }), 410, LOGIN_TEXT.fr.messages.expired.title],
      [challenge(), 410, LOGIN_TEXT.fr.messages.expired.title, NOW - 1],
      [challenge({ user_id: 'someone-else' }), 404, LOGIN_TEXT.fr.messages.not_found.title],
    ];
    for (const [record, status, title, expiresAt] of cases) {
      const page = await render(files.enroll, record, { acceptLanguage: 'fr', expiresAt });
      expect([page.statusCode, page.body.includes(decodeHtml(title)) || page.body.includes(title.replace(/’/g, '&#8217;'))], title).toEqual([status, true]);
      expect(page.formActionOrigin).toBeUndefined();
    }
  });

  it('the widget speaks login in all five locales', () => {
    const { MfaWidget } = loadWidget(files.script);
    const keys = ['loginTitle', 'verify', 'useRecovery', 'useCode', 'recoveryLabel', 'newRecoveryTitle', 'tooMany', 'challenge_expired', 'challenge_locked'];
    for (const locale of ['en', 'es', 'fr', 'de', 'pt-BR']) {
      for (const key of keys) expect(MfaWidget.messages[locale]![key], `${locale}.${key}`).toBeTruthy();
    }
  });
});
