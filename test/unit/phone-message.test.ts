import { describe, expect, it } from 'vitest';
import { EMAIL_LOCALES } from '../../lib/email/locales';
import { smsText, voiceMessage } from '../../lib/factors/phone/message';

// GSM 03.38's basic character set (and its extension table, whose characters count twice).
const GSM = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '^{}\\[~]|€';
const smsParts = (text: string) => {
  const gsm = [...text].every((c) => GSM.includes(c) || GSM_EXTENSION.includes(c));
  if (gsm) {
    const septets = [...text].reduce((n, c) => n + (GSM_EXTENSION.includes(c) ? 2 : 1), 0);
    return septets <= 160 ? 1 : Math.ceil(septets / 153);
  }
  const units = text.length; // UTF-16 code units, as UCS-2 counts them
  return units <= 70 ? 1 : Math.ceil(units / 67);
};

describe('phone messages', () => {
  for (const locale of EMAIL_LOCALES) {
    for (const purpose of ['enroll', 'login'] as const) {
      it(`${locale} ${purpose}: one SMS part, the code first, and a call that reads the digits one by one, twice`, () => {
        const text = smsText(locale, purpose, '048213');
        expect(text.startsWith('048213 ')).toBe(true);
        expect(smsParts(text)).toBe(1);
        expect(text).toMatch(/10/); // says how long the code works

        const { ssml, voiceId } = voiceMessage(locale, purpose, '048213');
        expect(voiceId).toMatch(/^[A-Z]+$/);
        expect(ssml).toMatch(/^<speak>.*<\/speak>$/s);
        expect(ssml).not.toContain('048213'); // never as one number
        const spoken = [...ssml.matchAll(/<say-as interpret-as="characters">(\d)<\/say-as>/g)].map((m) => m[1]).join('');
        expect(spoken).toBe('048213048213');
        // Well-formed enough for Polly: every tag closed, no stray ampersand.
        expect(ssml.replace(/<break[^>]*\/>/g, '').match(/<[a-z-]+[\s>]/g)!.length).toBe(ssml.match(/<\/[a-z-]+>/g)!.length);
        expect(ssml).not.toMatch(/&(?!#\d+;)/);
      });
    }
  }
  it('the locales differ (no locale falls back to another\'s words)', () => {
    const texts = EMAIL_LOCALES.map((l) => smsText(l, 'login', '000000'));
    expect(new Set(texts).size).toBe(EMAIL_LOCALES.length);
  });
});
