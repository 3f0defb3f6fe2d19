/**
 * Codes by email on the hosted page, signing in (./widget.ts puts it together with enrolling): an "Email me a code" step (nothing is sent before the click), which calls
 * POST /mfa/email/send, then the code form (`email_code` to POST /mfa/verify) with the masked address it went to and a
 * way to ask for a new one (the flow: ../../widget/sent-code-login.ts).
 */
import { sixDigitInput, readSixDigits } from '../../widget/code-field';
import type { CodeForm, LoginOffer } from '../../widget/factor';
import type { MessageTable } from '../../widget/messages';
import { sentCodeStep } from '../../widget/sent-code-login';

const en = {
  emailLoginTitle: 'Get a code by email',
  emailLoginText: 'We’ll send a 6-digit code to the email address you added.',
  emailLoginButton: 'Email me a code',
  emailLoginSending: 'Sending the code…',
  emailLoginSent: 'We sent a code to {address}. It works once, for 10 minutes.',
  emailLoginCodeTitle: 'Enter the code from the email',
  emailLoginLabel: 'Code from the email',
  emailLoginFormat: 'The code from the email has 6 digits.',
  emailLoginResend: 'Send a new code',
  emailLoginWait: 'A code was sent moments ago. Use it, or ask for a new one in {n} seconds.',
  emailLoginWaitLong: 'No new code can be sent right now. Use the last code we sent, or try again in {n} minutes.',
  emailLoginRejected: 'We couldn’t send an email to this address. Use another way to sign in.',
  emailLoginUnavailable: 'The email couldn’t be sent just now. Try again in a moment.',
  emailLoginOther: 'Use another way to sign in',
  emailLoginUse: 'Get a code by email instead',
};

export type EmailLoginText = typeof en;

export const emailLoginMessages: MessageTable<EmailLoginText> = {
  en,
  es: {
    emailLoginTitle: 'Recibir un código por correo',
    emailLoginText: 'Te enviaremos un código de 6 dígitos a la dirección de correo que añadiste.',
    emailLoginButton: 'Envíame un código',
    emailLoginSending: 'Enviando el código…',
    emailLoginSent: 'Hemos enviado un código a {address}. Sirve una sola vez, durante 10 minutos.',
    emailLoginCodeTitle: 'Escribe el código del correo',
    emailLoginLabel: 'Código del correo',
    emailLoginFormat: 'El código del correo tiene 6 dígitos.',
    emailLoginResend: 'Enviar un código nuevo',
    emailLoginWait: 'Acabamos de enviar un código. Úsalo, o pide otro dentro de {n} segundos.',
    emailLoginWaitLong: 'Ahora no se puede enviar otro código. Usa el último que te enviamos, o inténtalo de nuevo dentro de {n} minutos.',
    emailLoginRejected: 'No hemos podido enviar un correo a esta dirección. Usa otra forma de iniciar sesión.',
    emailLoginUnavailable: 'No se ha podido enviar el correo ahora. Inténtalo de nuevo dentro de un momento.',
    emailLoginOther: 'Usar otra forma de iniciar sesión',
    emailLoginUse: 'Recibir un código por correo',
  },
  fr: {
    emailLoginTitle: 'Recevoir un code par e-mail',
    emailLoginText: 'Nous enverrons un code à 6 chiffres à l’adresse e-mail que vous avez ajoutée.',
    emailLoginButton: 'M’envoyer un code par e-mail',
    emailLoginSending: 'Envoi du code…',
    emailLoginSent: 'Nous avons envoyé un code à {address}. Il fonctionne une seule fois, pendant 10 minutes.',
    emailLoginCodeTitle: 'Saisissez le code reçu par e-mail',
    emailLoginLabel: 'Code reçu par e-mail',
    emailLoginFormat: 'Le code reçu par e-mail compte 6 chiffres.',
    emailLoginResend: 'Envoyer un nouveau code',
    emailLoginWait: 'Un code vient d’être envoyé. Utilisez-le, ou demandez-en un autre dans {n} secondes.',
    emailLoginWaitLong: 'Aucun nouveau code ne peut être envoyé pour l’instant. Utilisez le dernier code reçu, ou réessayez dans {n} minutes.',
    emailLoginRejected: 'Nous n’avons pas pu envoyer d’e-mail à cette adresse. Utilisez un autre moyen de connexion.',
    emailLoginUnavailable: 'L’e-mail n’a pas pu être envoyé pour le moment. Réessayez dans un instant.',
    emailLoginOther: 'Utiliser un autre moyen de connexion',
    emailLoginUse: 'Recevoir plutôt un code par e-mail',
  },
  de: {
    emailLoginTitle: 'Code per E-Mail erhalten',
    emailLoginText: 'Wir senden einen 6-stelligen Code an die E-Mail-Adresse, die Sie hinzugefügt haben.',
    emailLoginButton: 'Code per E-Mail senden',
    emailLoginSending: 'Code wird gesendet…',
    emailLoginSent: 'Wir haben einen Code an {address} gesendet. Er gilt einmal, 10 Minuten lang.',
    emailLoginCodeTitle: 'Geben Sie den Code aus der E-Mail ein',
    emailLoginLabel: 'Code aus der E-Mail',
    emailLoginFormat: 'Der Code aus der E-Mail hat 6 Ziffern.',
    emailLoginResend: 'Neuen Code senden',
    emailLoginWait: 'Gerade wurde ein Code gesendet. Verwenden Sie ihn oder fordern Sie in {n} Sekunden einen neuen an.',
    emailLoginWaitLong: 'Derzeit kann kein neuer Code gesendet werden. Verwenden Sie den zuletzt gesendeten Code oder versuchen Sie es in {n} Minuten erneut.',
    emailLoginRejected: 'An diese Adresse konnten wir keine E-Mail senden. Melden Sie sich auf andere Weise an.',
    emailLoginUnavailable: 'Die E-Mail konnte gerade nicht gesendet werden. Versuchen Sie es gleich noch einmal.',
    emailLoginOther: 'Auf andere Weise anmelden',
    emailLoginUse: 'Stattdessen einen Code per E-Mail erhalten',
  },
  'pt-BR': {
    emailLoginTitle: 'Receber um código por e-mail',
    emailLoginText: 'Enviaremos um código de 6 dígitos para o endereço de e-mail que você adicionou.',
    emailLoginButton: 'Enviar um código por e-mail',
    emailLoginSending: 'Enviando o código…',
    emailLoginSent: 'Enviamos um código para {address}. Ele funciona uma única vez, por 10 minutos.',
    emailLoginCodeTitle: 'Digite o código do e-mail',
    emailLoginLabel: 'Código do e-mail',
    emailLoginFormat: 'O código do e-mail tem 6 dígitos.',
    emailLoginResend: 'Enviar um novo código',
    emailLoginWait: 'Um código acabou de ser enviado. Use-o ou peça outro em {n} segundos.',
    emailLoginWaitLong: 'Nenhum código novo pode ser enviado agora. Use o último código enviado ou tente novamente em {n} minutos.',
    emailLoginRejected: 'Não conseguimos enviar um e-mail para este endereço. Use outra forma de entrar.',
    emailLoginUnavailable: 'Não foi possível enviar o e-mail agora. Tente novamente em instantes.',
    emailLoginOther: 'Usar outra forma de entrar',
    emailLoginUse: 'Receber um código por e-mail',
  },
};

const codeForm: CodeForm<EmailLoginText> = {
  field: 'email_code',
  state: 'login-email',
  input: () => sixDigitInput('mfa-email-code', 'email_code'),
  title: (t) => t.emailLoginCodeTitle,
  label: (t) => t.emailLoginLabel,
  formatError: (t) => t.emailLoginFormat,
  read: readSixDigits,
};

const step = sentCodeStep<EmailLoginText>({
  name: 'email',
  form: codeForm,
  words: (t) => ({
    title: t.emailLoginTitle,
    text: t.emailLoginText,
    sending: t.emailLoginSending,
    wait: t.emailLoginWait,
    waitLong: t.emailLoginWaitLong,
    rejected: t.emailLoginRejected,
    unavailable: t.emailLoginUnavailable,
    other: t.emailLoginOther,
  }),
  ways: (t) => [{ id: '', body: {}, button: t.emailLoginButton, resend: () => t.emailLoginResend, sent: (to) => t.emailLoginSent.replace('{address}', to) }],
});

export const emailLogin = { step, label: (t) => t.emailLoginUse } satisfies LoginOffer<EmailLoginText>;
