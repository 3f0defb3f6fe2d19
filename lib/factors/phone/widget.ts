/**
 * Codes by text or call on the hosted page (signing in: ./widget-login.ts). Enrolling: a field for the number (in
 * international form), a choice of text or call, a "Send code" button — the only thing that sends
 * (POST /enroll/phone/send), so a scanner that runs the page texts and calls no one — then the code, confirmed with
 * POST /enroll/phone/confirm (the flow: ../../widget/sent-code-enroll.ts).
 */
import { el } from '../../widget/dom';
import type { FactorUI, WidgetContext } from '../../widget/factor';
import type { Answer } from '../../widget/http';
import { joinTables, type MessageTable } from '../../widget/messages';
import { sentCodeEnroll } from '../../widget/sent-code-enroll';
import { phoneLogin, phoneLoginMessages, type PhoneLoginText } from './widget-login';

const en = {
  phoneEnrollTitle: 'Add your phone number',
  phoneEnrollNumberLabel: 'Your phone number',
  phoneEnrollNumberHint: 'With + and the country code, such as +1 201 555 0123.',
  phoneEnrollNumberFormat: 'Enter the number with + and the country code, such as +1 201 555 0123.',
  phoneEnrollCountry: 'We can’t send codes to numbers of this country. Use another number.',
  phoneEnrollNotMobile: 'Texts can only go to a mobile number. Use a mobile number, or choose a call.',
  phoneEnrollChannel: 'How should we send the code?',
  phoneEnrollSms: 'Text message',
  phoneEnrollVoice: 'Phone call',
  phoneEnrollSend: 'Send code',
  phoneEnrollResend: 'Send a new code',
  phoneEnrollResendIn: 'Send a new code in {n} s',
  phoneEnrollSending: 'Sending the code…',
  phoneEnrollSentSms: 'We texted a code to {number}. It works for 10 minutes.',
  phoneEnrollSentVoice: 'We’re calling {number} to read out a code. It works for 10 minutes.',
  phoneEnrollNoMore: 'No more codes can be sent for this link. Use the last code we sent.',
  phoneEnrollRejected: 'We couldn’t send a code to this number. Check it and try again.',
  phoneEnrollUnavailable: 'We couldn’t send the code just now. Try again in a moment.',
  phoneEnrollCodeTitle: 'Enter the 6-digit code we sent',
  phoneEnrollCodeLabel: '6-digit code',
  phoneEnrollSubmit: 'Verify and finish',
  phoneEnrollCodeFormat: 'Enter the 6 digits of the code.',
  phoneEnrollRestarted: 'This setup was started again elsewhere (or took too long). Send a new code.',
  phoneEnrollDoneText: 'Your phone number is set up. You’ll get a code by text or call when you sign in.',
};

type PhoneEnrollText = typeof en;
type PhoneText = PhoneEnrollText & PhoneLoginText;

const enrollMessages: MessageTable<PhoneEnrollText> = {
  en,
  es: {
    phoneEnrollTitle: 'Añade tu número de teléfono',
    phoneEnrollNumberLabel: 'Tu número de teléfono',
    phoneEnrollNumberHint: 'Con + y el código del país, por ejemplo +34 612 34 56 78.',
    phoneEnrollNumberFormat: 'Escribe el número con + y el código del país, por ejemplo +34 612 34 56 78.',
    phoneEnrollCountry: 'No podemos enviar códigos a números de este país. Usa otro número.',
    phoneEnrollNotMobile: 'Los SMS solo pueden ir a un móvil. Usa un número móvil o elige una llamada.',
    phoneEnrollChannel: '¿Cómo te enviamos el código?',
    phoneEnrollSms: 'SMS',
    phoneEnrollVoice: 'Llamada',
    phoneEnrollSend: 'Enviar código',
    phoneEnrollResend: 'Enviar un código nuevo',
    phoneEnrollResendIn: 'Enviar un código nuevo en {n} s',
    phoneEnrollSending: 'Enviando el código…',
    phoneEnrollSentSms: 'Enviamos un código por SMS a {number}. Sirve durante 10 minutos.',
    phoneEnrollSentVoice: 'Te estamos llamando al {number} para leerte un código. Sirve durante 10 minutos.',
    phoneEnrollNoMore: 'No se pueden enviar más códigos para este enlace. Usa el último que te enviamos.',
    phoneEnrollRejected: 'No pudimos enviar un código a este número. Revísalo e inténtalo de nuevo.',
    phoneEnrollUnavailable: 'No pudimos enviar el código en este momento. Inténtalo de nuevo en un momento.',
    phoneEnrollCodeTitle: 'Escribe el código de 6 dígitos que te enviamos',
    phoneEnrollCodeLabel: 'Código de 6 dígitos',
    phoneEnrollSubmit: 'Verificar y terminar',
    phoneEnrollCodeFormat: 'Escribe los 6 dígitos del código.',
    phoneEnrollRestarted: 'Esta configuración se volvió a iniciar en otro lugar (o tardó demasiado). Envía un código nuevo.',
    phoneEnrollDoneText: 'Tu número de teléfono ya está configurado. Recibirás un código por SMS o llamada al iniciar sesión.',
  },
  fr: {
    phoneEnrollTitle: 'Ajoutez votre numéro de téléphone',
    phoneEnrollNumberLabel: 'Votre numéro de téléphone',
    phoneEnrollNumberHint: 'Avec + et l’indicatif du pays, par exemple +33 6 12 34 56 78.',
    phoneEnrollNumberFormat: 'Saisissez le numéro avec + et l’indicatif du pays, par exemple +33 6 12 34 56 78.',
    phoneEnrollCountry: 'Nous ne pouvons pas envoyer de codes aux numéros de ce pays. Utilisez un autre numéro.',
    phoneEnrollNotMobile: 'Les SMS ne peuvent aller qu’à un mobile. Utilisez un numéro de mobile ou choisissez un appel.',
    phoneEnrollChannel: 'Comment recevoir le code ?',
    phoneEnrollSms: 'SMS',
    phoneEnrollVoice: 'Appel',
    phoneEnrollSend: 'Envoyer le code',
    phoneEnrollResend: 'Envoyer un nouveau code',
    phoneEnrollResendIn: 'Envoyer un nouveau code dans {n} s',
    phoneEnrollSending: 'Envoi du code…',
    phoneEnrollSentSms: 'Nous avons envoyé un code par SMS au {number}. Il est valable 10 minutes.',
    phoneEnrollSentVoice: 'Nous appelons le {number} pour vous lire un code. Il est valable 10 minutes.',
    phoneEnrollNoMore: 'Plus aucun code ne peut être envoyé pour ce lien. Utilisez le dernier code reçu.',
    phoneEnrollRejected: 'Impossible d’envoyer un code à ce numéro. Vérifiez-le et réessayez.',
    phoneEnrollUnavailable: 'Impossible d’envoyer le code pour le moment. Réessayez dans un instant.',
    phoneEnrollCodeTitle: 'Saisissez le code à 6 chiffres reçu',
    phoneEnrollCodeLabel: 'Code à 6 chiffres',
    phoneEnrollSubmit: 'Vérifier et terminer',
    phoneEnrollCodeFormat: 'Saisissez les 6 chiffres du code.',
    phoneEnrollRestarted: 'Cette configuration a été relancée ailleurs (ou a pris trop de temps). Envoyez un nouveau code.',
    phoneEnrollDoneText: 'Votre numéro de téléphone est configuré. Vous recevrez un code par SMS ou par appel pour vous connecter.',
  },
  de: {
    phoneEnrollTitle: 'Telefonnummer hinzufügen',
    phoneEnrollNumberLabel: 'Ihre Telefonnummer',
    phoneEnrollNumberHint: 'Mit + und Ländervorwahl, zum Beispiel +49 151 23456789.',
    phoneEnrollNumberFormat: 'Geben Sie die Nummer mit + und Ländervorwahl ein, zum Beispiel +49 151 23456789.',
    phoneEnrollCountry: 'An Nummern dieses Landes können wir keine Codes senden. Verwenden Sie eine andere Nummer.',
    phoneEnrollNotMobile: 'SMS können nur an eine Mobilnummer gehen. Verwenden Sie eine Mobilnummer oder wählen Sie einen Anruf.',
    phoneEnrollChannel: 'Wie sollen wir den Code senden?',
    phoneEnrollSms: 'SMS',
    phoneEnrollVoice: 'Anruf',
    phoneEnrollSend: 'Code senden',
    phoneEnrollResend: 'Neuen Code senden',
    phoneEnrollResendIn: 'Neuen Code senden in {n} s',
    phoneEnrollSending: 'Code wird gesendet…',
    phoneEnrollSentSms: 'Wir haben einen Code per SMS an {number} gesendet. Er gilt 10 Minuten.',
    phoneEnrollSentVoice: 'Wir rufen {number} an und lesen einen Code vor. Er gilt 10 Minuten.',
    phoneEnrollNoMore: 'Für diesen Link können keine weiteren Codes gesendet werden. Verwenden Sie den zuletzt gesendeten Code.',
    phoneEnrollRejected: 'An diese Nummer konnten wir keinen Code senden. Prüfen Sie sie und versuchen Sie es erneut.',
    phoneEnrollUnavailable: 'Der Code konnte gerade nicht gesendet werden. Versuchen Sie es gleich noch einmal.',
    phoneEnrollCodeTitle: 'Geben Sie den 6-stelligen Code ein, den wir gesendet haben',
    phoneEnrollCodeLabel: '6-stelliger Code',
    phoneEnrollSubmit: 'Bestätigen und abschließen',
    phoneEnrollCodeFormat: 'Geben Sie die 6 Ziffern des Codes ein.',
    phoneEnrollRestarted: 'Die Einrichtung wurde anderswo neu gestartet (oder hat zu lange gedauert). Senden Sie einen neuen Code.',
    phoneEnrollDoneText: 'Ihre Telefonnummer ist eingerichtet. Bei der Anmeldung erhalten Sie einen Code per SMS oder Anruf.',
  },
  'pt-BR': {
    phoneEnrollTitle: 'Adicione seu número de telefone',
    phoneEnrollNumberLabel: 'Seu número de telefone',
    phoneEnrollNumberHint: 'Com + e o código do país, por exemplo +55 11 91234 5678.',
    phoneEnrollNumberFormat: 'Digite o número com + e o código do país, por exemplo +55 11 91234 5678.',
    phoneEnrollCountry: 'Não podemos enviar códigos para números deste país. Use outro número.',
    phoneEnrollNotMobile: 'SMS só pode ir para um celular. Use um número de celular ou escolha uma ligação.',
    phoneEnrollChannel: 'Como devemos enviar o código?',
    phoneEnrollSms: 'SMS',
    phoneEnrollVoice: 'Ligação',
    phoneEnrollSend: 'Enviar código',
    phoneEnrollResend: 'Enviar um novo código',
    phoneEnrollResendIn: 'Enviar um novo código em {n} s',
    phoneEnrollSending: 'Enviando o código…',
    phoneEnrollSentSms: 'Enviamos um código por SMS para {number}. Ele vale por 10 minutos.',
    phoneEnrollSentVoice: 'Estamos ligando para {number} para ler um código. Ele vale por 10 minutos.',
    phoneEnrollNoMore: 'Não é possível enviar mais códigos para este link. Use o último código enviado.',
    phoneEnrollRejected: 'Não conseguimos enviar um código para este número. Confira e tente de novo.',
    phoneEnrollUnavailable: 'Não conseguimos enviar o código agora. Tente de novo em instantes.',
    phoneEnrollCodeTitle: 'Digite o código de 6 dígitos que enviamos',
    phoneEnrollCodeLabel: 'Código de 6 dígitos',
    phoneEnrollSubmit: 'Verificar e concluir',
    phoneEnrollCodeFormat: 'Digite os 6 dígitos do código.',
    phoneEnrollRestarted: 'Esta configuração foi reiniciada em outro lugar (ou demorou demais). Envie um novo código.',
    phoneEnrollDoneText: 'Seu número de telefone está configurado. Você vai receber um código por SMS ou ligação ao entrar.',
  },
};

type Ctx = WidgetContext<PhoneText>;

/** A number in international form as typed: `+`, then digits and the punctuation people write between them (7 to 15 digits). */
const looksInternational = (typed: string) => /^\+[0-9 ().\-/]+$/.test(typed) && /^\d{7,15}$/.test(typed.replace(/\D/g, ''));

/** A radio of the channel choice. */
function channelChoice(value: 'sms' | 'voice', label: string, checked: boolean): HTMLElement {
  const radio = el('input', { type: 'radio', id: `mfa-channel-${value}`, name: 'channel', value, checked });
  return el('label', { className: 'mfa-check', for: `mfa-channel-${value}` }, [radio, el('span', { text: label })]);
}

function showEnroll(ctx: Ctx, data: Answer, notice?: string): void {
  const t = ctx.t;
  const number = el('input', {
    id: 'mfa-phone',
    name: 'phone_number',
    className: 'mfa-phone-input',
    type: 'tel',
    autocomplete: 'tel',
    inputmode: 'tel',
    spellcheck: 'false',
    required: true,
    maxlength: '40',
    'aria-describedby': 'mfa-phone-hint mfa-code-error',
  });
  const channel = el('fieldset', { className: 'mfa-choice' }, [
    el('legend', { className: 'mfa-label', text: t.phoneEnrollChannel }),
    channelChoice('sms', t.phoneEnrollSms, true),
    channelChoice('voice', t.phoneEnrollVoice, false),
  ]);
  /** The channel of the last send, which says how the code went. */
  let chosen = 'sms';
  const read = () => {
    const typed = number.value.trim();
    if (!looksInternational(typed)) {
      ctx.input = number;
      ctx.showFieldError(t.phoneEnrollNumberFormat);
      return undefined;
    }
    const checked = channel.querySelector<HTMLInputElement>('input[name="channel"]:checked');
    chosen = checked && checked.value === 'voice' ? 'voice' : 'sms';
    return { phone_number: typed, channel: chosen };
  };
  const words = {
    title: t.phoneEnrollTitle,
    send: t.phoneEnrollSend,
    resend: t.phoneEnrollResend,
    resendIn: t.phoneEnrollResendIn,
    sending: t.phoneEnrollSending,
    sent: (to: string) => (chosen === 'voice' ? t.phoneEnrollSentVoice : t.phoneEnrollSentSms).replace('{number}', to),
    noMore: t.phoneEnrollNoMore,
    rejected: t.phoneEnrollRejected,
    unavailable: t.phoneEnrollUnavailable,
    codeTitle: t.phoneEnrollCodeTitle,
    codeLabel: t.phoneEnrollCodeLabel,
    submit: t.phoneEnrollSubmit,
    codeFormat: t.phoneEnrollCodeFormat,
    restarted: t.phoneEnrollRestarted,
    done: t.phoneEnrollDoneText,
  };
  const fields = [
    el('label', { for: 'mfa-phone', className: 'mfa-label', text: t.phoneEnrollNumberLabel }),
    el('p', { id: 'mfa-phone-hint', className: 'mfa-hint', text: t.phoneEnrollNumberHint }),
    number,
    channel,
  ];
  const inputErrors = {
    invalid_phone_number: t.phoneEnrollNumberFormat,
    phone_number_required: t.phoneEnrollNumberFormat,
    phone_country_not_allowed: t.phoneEnrollCountry,
    phone_number_not_reachable: t.phoneEnrollNotMobile,
  };
  sentCodeEnroll(ctx, data, { name: 'phone', words, fields, input: number, read, inputErrors }, notice);
}

const messages: MessageTable<PhoneText> = joinTables(enrollMessages, phoneLoginMessages);

export const phoneUI = {
  factors: ['phone'],
  messages,
  enroll: showEnroll,
  login: phoneLogin,
} satisfies FactorUI<PhoneText>;
