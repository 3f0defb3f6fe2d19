import type { VoiceId } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import type { EmailLocale } from '../../email/locales';

/**
 * What the phone factor texts and says, in the five locales the emails ship in (lib/email/locales.ts).
 *
 * Plain strings here, not Liquid templates as for email: a text is one sentence, and liquidjs would add ~80 KB and
 * ~40 ms of cold start to a function that must stay under the bundle budget (docs/PHONE.md "Bundle").
 *
 * A text goes out as one SMS part, since every part is billed: at most 160 characters when the whole text is in the
 * GSM 03.38 alphabet, else at most 70 (UCS-2); test/unit/phone-message.test.ts checks both with a 6-digit code. The
 * code comes first, so it shows in a lock-screen preview and the phone's autofill picks it up.
 */
export type PhoneCodePurpose = 'enroll' | 'login';

interface Texts {
  sms: Record<PhoneCodePurpose, (code: string) => string>;
  /** What the call says before and after the digits (read one by one); the call says the code twice. */
  voice: Record<PhoneCodePurpose, string> & { again: string; bye: string };
  /** Amazon Polly voice of the locale (SendVoiceMessage `VoiceId`). */
  voiceId: VoiceId;
  /** The language of the voice, for SSML `xml:lang`. */
  lang: string;
}

const TEXTS: Record<EmailLocale, Texts> = {
  'en': {
    sms: {
      enroll: (code) => `${code} is your code to add this phone for sign-in. It expires in 10 minutes. Never share it.`,
      login: (code) => `${code} is your sign-in code. It expires in 10 minutes. Never share it.`,
    },
    voice: { enroll: 'Your code to add this phone is:', login: 'Your sign-in code is:', again: 'Again, your code is:', bye: 'Goodbye.' },
    voiceId: 'JOANNA',
    lang: 'en-US',
  },
  'es': {
    sms: {
      enroll: (code) => `${code} es tu código para añadir este teléfono. Caduca en 10 minutos.`,
      login: (code) => `${code} es tu código de inicio de sesión. Caduca en 10 minutos.`,
    },
    voice: { enroll: 'Tu código para añadir este teléfono es:', login: 'Tu código de inicio de sesión es:', again: 'Repito, tu código es:', bye: 'Adiós.' },
    voiceId: 'LUCIA',
    lang: 'es-ES',
  },
  'fr': {
    sms: {
      enroll: (code) => `${code} est votre code pour ajouter ce téléphone à la connexion. Il expire dans 10 minutes. Ne le partagez pas.`,
      login: (code) => `${code} est votre code de connexion. Il expire dans 10 minutes. Ne le partagez pas.`,
    },
    voice: { enroll: 'Votre code pour ajouter ce téléphone est :', login: 'Votre code de connexion est :', again: 'Je répète, votre code est :', bye: 'Au revoir.' },
    voiceId: 'LEA',
    lang: 'fr-FR',
  },
  'de': {
    sms: {
      enroll: (code) => `${code} ist Ihr Code, um dieses Telefon für die Anmeldung hinzuzufügen. Gültig 10 Minuten. Nicht weitergeben.`,
      login: (code) => `${code} ist Ihr Anmeldecode. Gültig 10 Minuten. Nicht weitergeben.`,
    },
    voice: { enroll: 'Ihr Code, um dieses Telefon hinzuzufügen, lautet:', login: 'Ihr Anmeldecode lautet:', again: 'Noch einmal, Ihr Code lautet:', bye: 'Auf Wiederhören.' },
    voiceId: 'VICKI',
    lang: 'de-DE',
  },
  'pt-BR': {
    sms: {
      enroll: (code) => `${code} é seu código para cadastrar este celular. Expira em 10 minutos.`,
      login: (code) => `${code} é seu código de acesso. Expira em 10 minutos. Não compartilhe.`,
    },
    voice: { enroll: 'Seu código para cadastrar este telefone é:', login: 'Seu código de acesso é:', again: 'Repetindo, seu código é:', bye: 'Até logo.' },
    voiceId: 'CAMILA',
    lang: 'pt-BR',
  },
};

/** The text message carrying `code`. */
export const smsText = (locale: EmailLocale, purpose: PhoneCodePurpose, code: string): string => TEXTS[locale].sms[purpose](code);

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The call: SSML that reads the digits one by one, with a pause between them (read as a number, 482913 would be
 * "four hundred eighty-two thousand..."), twice, slowly enough to type along.
 */
export function voiceMessage(locale: EmailLocale, purpose: PhoneCodePurpose, code: string): { ssml: string; voiceId: VoiceId } {
  const t = TEXTS[locale];
  const digits = [...code].filter((c) => c >= '0' && c <= '9').map((d) => `<say-as interpret-as="characters">${d}</say-as>`).join('<break time="400ms"/>');
  const ssml =
    `<speak><lang xml:lang="${t.lang}"><prosody rate="90%">` +
    `${escapeXml(t.voice[purpose])}<break time="500ms"/>${digits}<break time="1s"/>` +
    `${escapeXml(t.voice.again)}<break time="500ms"/>${digits}<break time="500ms"/>${escapeXml(t.voice.bye)}` +
    `</prosody></lang></speak>`;
  return { ssml, voiceId: t.voiceId };
}
