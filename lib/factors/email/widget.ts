/**
 * Codes by email on the hosted page (signing in: ./widget-login.ts). Enrolling: the ticket's address masked (or a field for one), a "Send code"
 * button — the only thing that sends (POST /enroll/email/send), so a scanner that runs the page mails nothing — then
 * the code from the email, confirmed with POST /enroll/email/confirm (the flow: ../../widget/sent-code-enroll.ts).
 */
import { el } from '../../widget/dom';
import type { FactorUI, WidgetContext } from '../../widget/factor';
import type { Answer } from '../../widget/http';
import { joinTables, type MessageTable } from '../../widget/messages';
import { sentCodeEnroll } from '../../widget/sent-code-enroll';
import { emailLogin, emailLoginMessages, type EmailLoginText } from './widget-login';

const en = {
  emailEnrollTitle: 'Confirm your email address',
  emailEnrollSendTo: 'We’ll email a 6-digit code to {email}.',
  emailEnrollAddressLabel: 'Your email address',
  emailEnrollAddressFormat: 'Enter a valid email address.',
  emailEnrollSend: 'Send code',
  emailEnrollResend: 'Send a new code',
  emailEnrollResendIn: 'Send a new code in {n} s',
  emailEnrollSending: 'Sending the code…',
  emailEnrollSent: 'We sent a code to {email}. It works for 10 minutes.',
  emailEnrollNoMore: 'No more codes can be sent for this link. Use the last code we sent.',
  emailEnrollRejected: 'We couldn’t send email to this address. Check it and try again.',
  emailEnrollUnavailable: 'We couldn’t send the email just now. Try again in a moment.',
  emailEnrollCodeTitle: 'Enter the 6-digit code from the email',
  emailEnrollCodeLabel: '6-digit code',
  emailEnrollSubmit: 'Verify and finish',
  emailEnrollCodeFormat: 'Enter the 6 digits from the email.',
  emailEnrollRestarted: 'This setup was started again elsewhere (or took too long). Send a new code.',
  emailEnrollDoneText: 'Your email address is set up. You’ll get a code by email when you sign in.',
};

type EmailEnrollText = typeof en;
type EmailText = EmailEnrollText & EmailLoginText;

const enrollMessages: MessageTable<EmailEnrollText> = {
  en,
  es: {
    emailEnrollTitle: 'Confirma tu dirección de correo',
    emailEnrollSendTo: 'Te enviaremos un código de 6 dígitos a {email}.',
    emailEnrollAddressLabel: 'Tu dirección de correo',
    emailEnrollAddressFormat: 'Escribe una dirección de correo válida.',
    emailEnrollSend: 'Enviar código',
    emailEnrollResend: 'Enviar un código nuevo',
    emailEnrollResendIn: 'Enviar un código nuevo en {n} s',
    emailEnrollSending: 'Enviando el código…',
    emailEnrollSent: 'Enviamos un código a {email}. Sirve durante 10 minutos.',
    emailEnrollNoMore: 'No se pueden enviar más códigos para este enlace. Usa el último que te enviamos.',
    emailEnrollRejected: 'No pudimos enviar un correo a esta dirección. Revísala e inténtalo de nuevo.',
    emailEnrollUnavailable: 'No pudimos enviar el correo en este momento. Inténtalo de nuevo en un momento.',
    emailEnrollCodeTitle: 'Escribe el código de 6 dígitos del correo',
    emailEnrollCodeLabel: 'Código de 6 dígitos',
    emailEnrollSubmit: 'Verificar y terminar',
    emailEnrollCodeFormat: 'Escribe los 6 dígitos del correo.',
    emailEnrollRestarted: 'Esta configuración se volvió a iniciar en otro lugar (o tardó demasiado). Envía un código nuevo.',
    emailEnrollDoneText: 'Tu dirección de correo ya está configurada. Recibirás un código por correo al iniciar sesión.',
  },
  fr: {
    emailEnrollTitle: 'Confirmez votre adresse e-mail',
    emailEnrollSendTo: 'Nous allons envoyer un code à 6 chiffres à {email}.',
    emailEnrollAddressLabel: 'Votre adresse e-mail',
    emailEnrollAddressFormat: 'Saisissez une adresse e-mail valide.',
    emailEnrollSend: 'Envoyer le code',
    emailEnrollResend: 'Envoyer un nouveau code',
    emailEnrollResendIn: 'Envoyer un nouveau code dans {n} s',
    emailEnrollSending: 'Envoi du code…',
    emailEnrollSent: 'Nous avons envoyé un code à {email}. Il est valable 10 minutes.',
    emailEnrollNoMore: 'Plus aucun code ne peut être envoyé pour ce lien. Utilisez le dernier code reçu.',
    emailEnrollRejected: 'Impossible d’envoyer un e-mail à cette adresse. Vérifiez-la et réessayez.',
    emailEnrollUnavailable: 'Impossible d’envoyer l’e-mail pour le moment. Réessayez dans un instant.',
    emailEnrollCodeTitle: 'Saisissez le code à 6 chiffres reçu par e-mail',
    emailEnrollCodeLabel: 'Code à 6 chiffres',
    emailEnrollSubmit: 'Vérifier et terminer',
    emailEnrollCodeFormat: 'Saisissez les 6 chiffres de l’e-mail.',
    emailEnrollRestarted: 'Cette configuration a été relancée ailleurs (ou a pris trop de temps). Envoyez un nouveau code.',
    emailEnrollDoneText: 'Votre adresse e-mail est configurée. Vous recevrez un code par e-mail pour vous connecter.',
  },
  de: {
    emailEnrollTitle: 'E-Mail-Adresse bestätigen',
    emailEnrollSendTo: 'Wir senden einen 6-stelligen Code an {email}.',
    emailEnrollAddressLabel: 'Ihre E-Mail-Adresse',
    emailEnrollAddressFormat: 'Geben Sie eine gültige E-Mail-Adresse ein.',
    emailEnrollSend: 'Code senden',
    emailEnrollResend: 'Neuen Code senden',
    emailEnrollResendIn: 'Neuen Code senden in {n} s',
    emailEnrollSending: 'Code wird gesendet…',
    emailEnrollSent: 'Wir haben einen Code an {email} gesendet. Er gilt 10 Minuten.',
    emailEnrollNoMore: 'Für diesen Link können keine weiteren Codes gesendet werden. Verwenden Sie den zuletzt gesendeten Code.',
    emailEnrollRejected: 'An diese Adresse konnten wir keine E-Mail senden. Prüfen Sie sie und versuchen Sie es erneut.',
    emailEnrollUnavailable: 'Die E-Mail konnte gerade nicht gesendet werden. Versuchen Sie es gleich noch einmal.',
    emailEnrollCodeTitle: 'Geben Sie den 6-stelligen Code aus der E-Mail ein',
    emailEnrollCodeLabel: '6-stelliger Code',
    emailEnrollSubmit: 'Bestätigen und abschließen',
    emailEnrollCodeFormat: 'Geben Sie die 6 Ziffern aus der E-Mail ein.',
    emailEnrollRestarted: 'Die Einrichtung wurde anderswo neu gestartet (oder hat zu lange gedauert). Senden Sie einen neuen Code.',
    emailEnrollDoneText: 'Ihre E-Mail-Adresse ist eingerichtet. Bei der Anmeldung erhalten Sie einen Code per E-Mail.',
  },
  'pt-BR': {
    emailEnrollTitle: 'Confirme seu endereço de e-mail',
    emailEnrollSendTo: 'Vamos enviar um código de 6 dígitos para {email}.',
    emailEnrollAddressLabel: 'Seu endereço de e-mail',
    emailEnrollAddressFormat: 'Digite um endereço de e-mail válido.',
    emailEnrollSend: 'Enviar código',
    emailEnrollResend: 'Enviar um novo código',
    emailEnrollResendIn: 'Enviar um novo código em {n} s',
    emailEnrollSending: 'Enviando o código…',
    emailEnrollSent: 'Enviamos um código para {email}. Ele vale por 10 minutos.',
    emailEnrollNoMore: 'Não é possível enviar mais códigos para este link. Use o último código enviado.',
    emailEnrollRejected: 'Não conseguimos enviar e-mail para este endereço. Confira e tente de novo.',
    emailEnrollUnavailable: 'Não conseguimos enviar o e-mail agora. Tente de novo em instantes.',
    emailEnrollCodeTitle: 'Digite o código de 6 dígitos do e-mail',
    emailEnrollCodeLabel: 'Código de 6 dígitos',
    emailEnrollSubmit: 'Verificar e concluir',
    emailEnrollCodeFormat: 'Digite os 6 dígitos do e-mail.',
    emailEnrollRestarted: 'Esta configuração foi reiniciada em outro lugar (ou demorou demais). Envie um novo código.',
    emailEnrollDoneText: 'Seu endereço de e-mail está configurado. Você vai receber um código por e-mail ao entrar.',
  },
};

type Ctx = WidgetContext<EmailText>;

function showEnroll(ctx: Ctx, data: Answer, notice?: string): void {
  const t = ctx.t;
  const masked = typeof data.masked_email === 'string' ? data.masked_email : undefined;
  const address = masked
    ? undefined
    : el('input', { id: 'mfa-email', name: 'email', className: 'mfa-email-input', type: 'email', autocomplete: 'email', spellcheck: 'false', required: true, maxlength: '254', 'aria-describedby': 'mfa-code-error' });
  const read = () => {
    if (!address) return {};
    const typed = address.value.trim();
    if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(typed)) return { email: typed };
    ctx.input = address;
    ctx.showFieldError(t.emailEnrollAddressFormat);
    return undefined;
  };
  const words = {
    title: t.emailEnrollTitle,
    send: t.emailEnrollSend,
    resend: t.emailEnrollResend,
    resendIn: t.emailEnrollResendIn,
    sending: t.emailEnrollSending,
    sent: (to: string) => t.emailEnrollSent.replace('{email}', to),
    noMore: t.emailEnrollNoMore,
    rejected: t.emailEnrollRejected,
    unavailable: t.emailEnrollUnavailable,
    codeTitle: t.emailEnrollCodeTitle,
    codeLabel: t.emailEnrollCodeLabel,
    submit: t.emailEnrollSubmit,
    codeFormat: t.emailEnrollCodeFormat,
    restarted: t.emailEnrollRestarted,
    done: t.emailEnrollDoneText,
  };
  const fields = [
    masked ? el('p', { className: 'mfa-hint', text: t.emailEnrollSendTo.replace('{email}', masked) }) : null,
    address ? el('label', { for: 'mfa-email', className: 'mfa-label', text: t.emailEnrollAddressLabel }) : null,
    address || null,
  ];
  const inputErrors = { invalid_email: t.emailEnrollAddressFormat, email_required: t.emailEnrollAddressFormat };
  sentCodeEnroll(ctx, data, { name: 'email', words, fields, input: address, read, inputErrors, sentTo: masked }, notice);
}

const messages: MessageTable<EmailText> = joinTables(enrollMessages, emailLoginMessages);

export const emailUI = {
  factors: ['email'],
  messages,
  enroll: showEnroll,
  login: emailLogin,
} satisfies FactorUI<EmailText>;
