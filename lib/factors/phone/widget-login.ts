/**
 * Codes by text or call on the hosted page, signing in (./widget.ts puts it together with enrolling): "Text me a code"
 * and "Call me" (nothing is sent before a click), each calling POST /mfa/phone/send with its `channel`, then the code
 * form (`phone_code` to POST /mfa/verify) with the masked number it went to and a way to ask again by either (the
 * flow: ../../widget/sent-code-login.ts).
 */
import { readSixDigits, sixDigitInput } from '../../widget/code-field';
import type { CodeForm, LoginOffer } from '../../widget/factor';
import type { MessageTable } from '../../widget/messages';
import { sentCodeStep, type SendWay } from '../../widget/sent-code-login';

const en = {
  phoneLoginTitle: 'Get a code on your phone',
  phoneLoginText: 'We’ll text or call the phone number you added with a 6-digit code.',
  phoneLoginSms: 'Text me a code',
  phoneLoginVoice: 'Call me',
  phoneLoginSending: 'Sending the code…',
  phoneLoginSentSms: 'We texted a code to {number}. It works once, for 10 minutes.',
  phoneLoginSentVoice: 'We’re calling {number} to read out a code. It works once, for 10 minutes.',
  phoneLoginCodeTitle: 'Enter the code from your phone',
  phoneLoginLabel: 'Code from your phone',
  phoneLoginFormat: 'The code from your phone has 6 digits.',
  phoneLoginResendSms: 'Text a new code to {number}',
  phoneLoginResendVoice: 'Call {number} with a new code',
  phoneLoginWait: 'A code was sent moments ago. Use it, or ask for a new one in {n} seconds.',
  phoneLoginWaitLong: 'No new code can be sent right now. Use the last code we sent, or try again in {n} minutes.',
  phoneLoginRejected: 'We couldn’t send a code to this number. Use another way to sign in.',
  phoneLoginUnavailable: 'The code couldn’t be sent just now. Try again in a moment.',
  phoneLoginOther: 'Use another way to sign in',
  phoneLoginUse: 'Get a code on my phone instead',
};

export type PhoneLoginText = typeof en;

export const phoneLoginMessages: MessageTable<PhoneLoginText> = {
  en,
  es: {
    phoneLoginTitle: 'Recibir un código en tu teléfono',
    phoneLoginText: 'Te enviaremos un SMS o te llamaremos al número que añadiste con un código de 6 dígitos.',
    phoneLoginSms: 'Envíame un SMS',
    phoneLoginVoice: 'Llámame',
    phoneLoginSending: 'Enviando el código…',
    phoneLoginSentSms: 'Hemos enviado un código por SMS a {number}. Sirve una sola vez, durante 10 minutos.',
    phoneLoginSentVoice: 'Te estamos llamando al {number} para leerte un código. Sirve una sola vez, durante 10 minutos.',
    phoneLoginCodeTitle: 'Escribe el código que recibiste en tu teléfono',
    phoneLoginLabel: 'Código del teléfono',
    phoneLoginFormat: 'El código del teléfono tiene 6 dígitos.',
    phoneLoginResendSms: 'Enviar un código nuevo por SMS a {number}',
    phoneLoginResendVoice: 'Llamar al {number} con un código nuevo',
    phoneLoginWait: 'Acabamos de enviar un código. Úsalo, o pide otro dentro de {n} segundos.',
    phoneLoginWaitLong: 'Ahora no se puede enviar otro código. Usa el último que te enviamos, o inténtalo de nuevo dentro de {n} minutos.',
    phoneLoginRejected: 'No hemos podido enviar un código a este número. Usa otra forma de iniciar sesión.',
    phoneLoginUnavailable: 'No se ha podido enviar el código ahora. Inténtalo de nuevo dentro de un momento.',
    phoneLoginOther: 'Usar otra forma de iniciar sesión',
    phoneLoginUse: 'Recibir un código en mi teléfono',
  },
  fr: {
    phoneLoginTitle: 'Recevoir un code sur votre téléphone',
    phoneLoginText: 'Nous enverrons un code à 6 chiffres par SMS ou par appel au numéro que vous avez ajouté.',
    phoneLoginSms: 'M’envoyer un SMS',
    phoneLoginVoice: 'M’appeler',
    phoneLoginSending: 'Envoi du code…',
    phoneLoginSentSms: 'Nous avons envoyé un code par SMS au {number}. Il fonctionne une seule fois, pendant 10 minutes.',
    phoneLoginSentVoice: 'Nous appelons le {number} pour vous lire un code. Il fonctionne une seule fois, pendant 10 minutes.',
    phoneLoginCodeTitle: 'Saisissez le code reçu sur votre téléphone',
    phoneLoginLabel: 'Code reçu sur votre téléphone',
    phoneLoginFormat: 'Le code reçu sur votre téléphone compte 6 chiffres.',
    phoneLoginResendSms: 'Envoyer un nouveau code par SMS au {number}',
    phoneLoginResendVoice: 'Appeler le {number} avec un nouveau code',
    phoneLoginWait: 'Un code vient d’être envoyé. Utilisez-le, ou demandez-en un autre dans {n} secondes.',
    phoneLoginWaitLong: 'Aucun nouveau code ne peut être envoyé pour l’instant. Utilisez le dernier code reçu, ou réessayez dans {n} minutes.',
    phoneLoginRejected: 'Nous n’avons pas pu envoyer de code à ce numéro. Utilisez un autre moyen de connexion.',
    phoneLoginUnavailable: 'Le code n’a pas pu être envoyé pour le moment. Réessayez dans un instant.',
    phoneLoginOther: 'Utiliser un autre moyen de connexion',
    phoneLoginUse: 'Recevoir plutôt un code sur mon téléphone',
  },
  de: {
    phoneLoginTitle: 'Code auf Ihr Telefon erhalten',
    phoneLoginText: 'Wir senden einen 6-stelligen Code per SMS oder Anruf an die Telefonnummer, die Sie hinzugefügt haben.',
    phoneLoginSms: 'Code per SMS senden',
    phoneLoginVoice: 'Mich anrufen',
    phoneLoginSending: 'Code wird gesendet…',
    phoneLoginSentSms: 'Wir haben einen Code per SMS an {number} gesendet. Er gilt einmal, 10 Minuten lang.',
    phoneLoginSentVoice: 'Wir rufen {number} an und lesen einen Code vor. Er gilt einmal, 10 Minuten lang.',
    phoneLoginCodeTitle: 'Geben Sie den Code von Ihrem Telefon ein',
    phoneLoginLabel: 'Code von Ihrem Telefon',
    phoneLoginFormat: 'Der Code von Ihrem Telefon hat 6 Ziffern.',
    phoneLoginResendSms: 'Neuen Code per SMS an {number} senden',
    phoneLoginResendVoice: '{number} mit einem neuen Code anrufen',
    phoneLoginWait: 'Gerade wurde ein Code gesendet. Verwenden Sie ihn oder fordern Sie in {n} Sekunden einen neuen an.',
    phoneLoginWaitLong: 'Derzeit kann kein neuer Code gesendet werden. Verwenden Sie den zuletzt gesendeten Code oder versuchen Sie es in {n} Minuten erneut.',
    phoneLoginRejected: 'An diese Nummer konnten wir keinen Code senden. Melden Sie sich auf andere Weise an.',
    phoneLoginUnavailable: 'Der Code konnte gerade nicht gesendet werden. Versuchen Sie es gleich noch einmal.',
    phoneLoginOther: 'Auf andere Weise anmelden',
    phoneLoginUse: 'Stattdessen einen Code auf mein Telefon erhalten',
  },
  'pt-BR': {
    phoneLoginTitle: 'Receber um código no seu celular',
    phoneLoginText: 'Enviaremos um código de 6 dígitos por SMS ou ligação para o número de telefone que você adicionou.',
    phoneLoginSms: 'Enviar um SMS',
    phoneLoginVoice: 'Ligar para mim',
    phoneLoginSending: 'Enviando o código…',
    phoneLoginSentSms: 'Enviamos um código por SMS para {number}. Ele funciona uma única vez, por 10 minutos.',
    phoneLoginSentVoice: 'Estamos ligando para {number} para ler um código. Ele funciona uma única vez, por 10 minutos.',
    phoneLoginCodeTitle: 'Digite o código recebido no celular',
    phoneLoginLabel: 'Código do celular',
    phoneLoginFormat: 'O código do celular tem 6 dígitos.',
    phoneLoginResendSms: 'Enviar um novo código por SMS para {number}',
    phoneLoginResendVoice: 'Ligar para {number} com um novo código',
    phoneLoginWait: 'Um código acabou de ser enviado. Use-o ou peça outro em {n} segundos.',
    phoneLoginWaitLong: 'Nenhum código novo pode ser enviado agora. Use o último código enviado ou tente novamente em {n} minutos.',
    phoneLoginRejected: 'Não conseguimos enviar um código para este número. Use outra forma de entrar.',
    phoneLoginUnavailable: 'Não foi possível enviar o código agora. Tente novamente em instantes.',
    phoneLoginOther: 'Usar outra forma de entrar',
    phoneLoginUse: 'Receber um código no celular',
  },
};

const codeForm: CodeForm<PhoneLoginText> = {
  field: 'phone_code',
  state: 'login-phone',
  input: () => sixDigitInput('mfa-phone-code', 'phone_code'),
  title: (t) => t.phoneLoginCodeTitle,
  label: (t) => t.phoneLoginLabel,
  formatError: (t) => t.phoneLoginFormat,
  read: readSixDigits,
};

/** A way to send: `channel` to POST /mfa/phone/send, its button, and its words with the masked `{number}`. */
const way = (channel: 'sms' | 'voice', button: string, resend: string, sent: string): SendWay => ({
  id: channel,
  body: { channel },
  button,
  resend: (to) => (to ? resend.replace('{number}', to) : button),
  sent: (to) => sent.replace('{number}', to),
});

const step = sentCodeStep<PhoneLoginText>({
  name: 'phone',
  form: codeForm,
  words: (t) => ({
    title: t.phoneLoginTitle,
    text: t.phoneLoginText,
    sending: t.phoneLoginSending,
    wait: t.phoneLoginWait,
    waitLong: t.phoneLoginWaitLong,
    rejected: t.phoneLoginRejected,
    unavailable: t.phoneLoginUnavailable,
    other: t.phoneLoginOther,
  }),
  // Before the first send the page knows no number (the challenge lists factors only): the buttons name none.
  ways: (t) => [way('sms', t.phoneLoginSms, t.phoneLoginResendSms, t.phoneLoginSentSms), way('voice', t.phoneLoginVoice, t.phoneLoginResendVoice, t.phoneLoginSentVoice)],
});

export const phoneLogin = { step, label: (t) => t.phoneLoginUse } satisfies LoginOffer<PhoneLoginText>;
