/**
 * The authenticator app (TOTP) on the hosted page: enrolling shows the QR code and key of POST /enroll/start and
 * confirms a code with POST /enroll/confirm; signing in is a 6-digit code posted to POST /mfa/verify.
 */
import { el } from '../../widget/dom';
import type { FactorUI, WidgetContext } from '../../widget/factor';
import { sixDigitInput, readSixDigits } from '../../widget/code-field';
import { confirmCode } from '../../widget/confirm-code';
import type { Answer } from '../../widget/http';
import type { MessageTable } from '../../widget/messages';

const en = {
  restarted: 'This setup was started again elsewhere (or took too long). Scan the new code below.',
  scanTitle: 'Scan this QR code with your authenticator app',
  qrAlt: 'QR code that adds this account to an authenticator app',
  manualHint: 'Can’t scan it? Enter this key in the app instead:',
  openApp: 'Open in an authenticator app on this device',
  copyKey: 'Copy key',
  codeTitle: 'Enter the 6-digit code the app shows',
  codeLabel: '6-digit code',
  submit: 'Verify and finish',
  codeFormat: 'Enter the 6 digits shown in your authenticator app.',
  doneText: 'Your authenticator app is now set up. You’ll use its codes when you sign in.',
  loginTitle: 'Enter the 6-digit code from your authenticator app',
  useCode: 'Use your authenticator app instead',
};

type TotpText = typeof en;

const messages: MessageTable<TotpText> = {
  en,
  es: {
    restarted: 'Esta configuración se volvió a iniciar en otro lugar (o tardó demasiado). Escanea el nuevo código.',
    scanTitle: 'Escanea este código QR con tu aplicación de autenticación',
    qrAlt: 'Código QR que añade esta cuenta a una aplicación de autenticación',
    manualHint: '¿No puedes escanearlo? Escribe esta clave en la aplicación:',
    openApp: 'Abrir en una aplicación de autenticación de este dispositivo',
    copyKey: 'Copiar clave',
    codeTitle: 'Escribe el código de 6 dígitos que muestra la aplicación',
    codeLabel: 'Código de 6 dígitos',
    submit: 'Verificar y terminar',
    codeFormat: 'Escribe los 6 dígitos que muestra tu aplicación de autenticación.',
    doneText: 'Tu aplicación de autenticación ya está configurada. Usarás sus códigos al iniciar sesión.',
    loginTitle: 'Escribe el código de 6 dígitos de tu aplicación de autenticación',
    useCode: 'Usar la aplicación de autenticación',
  },
  fr: {
    restarted: 'Cette configuration a été relancée ailleurs (ou a pris trop de temps). Scannez le nouveau code ci-dessous.',
    scanTitle: 'Scannez ce code QR avec votre application d’authentification',
    qrAlt: 'Code QR qui ajoute ce compte à une application d’authentification',
    manualHint: 'Impossible de le scanner ? Saisissez plutôt cette clé dans l’application :',
    openApp: 'Ouvrir dans une application d’authentification de cet appareil',
    copyKey: 'Copier la clé',
    codeTitle: 'Saisissez le code à 6 chiffres affiché par l’application',
    codeLabel: 'Code à 6 chiffres',
    submit: 'Vérifier et terminer',
    codeFormat: 'Saisissez les 6 chiffres affichés par votre application d’authentification.',
    doneText: 'Votre application d’authentification est configurée. Vous utiliserez ses codes pour vous connecter.',
    loginTitle: 'Saisissez le code à 6 chiffres de votre application d’authentification',
    useCode: 'Utiliser plutôt l’application d’authentification',
  },
  de: {
    restarted: 'Diese Einrichtung wurde anderswo neu gestartet (oder hat zu lange gedauert). Scannen Sie den neuen Code unten.',
    scanTitle: 'Scannen Sie diesen QR-Code mit Ihrer Authenticator-App',
    qrAlt: 'QR-Code, der dieses Konto zu einer Authenticator-App hinzufügt',
    manualHint: 'Scannen nicht möglich? Geben Sie stattdessen diesen Schlüssel in der App ein:',
    openApp: 'In einer Authenticator-App auf diesem Gerät öffnen',
    copyKey: 'Schlüssel kopieren',
    codeTitle: 'Geben Sie den 6-stelligen Code aus der App ein',
    codeLabel: '6-stelliger Code',
    submit: 'Prüfen und abschließen',
    codeFormat: 'Geben Sie die 6 Ziffern aus Ihrer Authenticator-App ein.',
    doneText: 'Ihre Authenticator-App ist eingerichtet. Sie verwenden ihre Codes bei der Anmeldung.',
    loginTitle: 'Geben Sie den 6-stelligen Code aus Ihrer Authenticator-App ein',
    useCode: 'Stattdessen die Authenticator-App verwenden',
  },
  'pt-BR': {
    restarted: 'Esta configuração foi reiniciada em outro lugar (ou demorou demais). Escaneie o novo código abaixo.',
    scanTitle: 'Escaneie este código QR com seu aplicativo autenticador',
    qrAlt: 'Código QR que adiciona esta conta a um aplicativo autenticador',
    manualHint: 'Não consegue escanear? Digite esta chave no aplicativo:',
    openApp: 'Abrir em um aplicativo autenticador deste dispositivo',
    copyKey: 'Copiar chave',
    codeTitle: 'Digite o código de 6 dígitos exibido no aplicativo',
    codeLabel: 'Código de 6 dígitos',
    submit: 'Verificar e concluir',
    codeFormat: 'Digite os 6 dígitos exibidos no seu aplicativo autenticador.',
    doneText: 'Seu aplicativo autenticador está configurado. Você usará os códigos dele ao entrar.',
    loginTitle: 'Digite o código de 6 dígitos do seu aplicativo autenticador',
    useCode: 'Usar o aplicativo autenticador',
  },
};


function showEnroll(ctx: WidgetContext<TotpText>, data: Answer, notice?: string): void {
  const t = ctx.t;
  const body = ctx.view('enroll');
  // The transaction of this start: only it can confirm the secret shown. Kept in memory only, never in the page.
  const transactionToken = String(data.transaction_token || '');
  const secret = String(data.secret || '');
  const key = secret.replace(/(.{4})(?=.)/g, '$1 ');
  const otpauthUri = data.otpauth_uri as string | undefined;

  const copyKey = el('button', { type: 'button', className: 'mfa-link-button', text: t.copyKey });
  copyKey.addEventListener('click', () => ctx.copy(secret));
  const scan = el('li', { className: 'mfa-step' }, [
    el('h2', { className: 'mfa-step-title', text: t.scanTitle }),
    el('div', { className: 'mfa-qr' }, [el('img', { src: data.qr_code as string | undefined, alt: t.qrAlt, width: '200', height: '200' })]),
    el('p', { className: 'mfa-hint', id: 'mfa-key-hint', text: t.manualHint }),
    el('div', { className: 'mfa-key' }, [el('code', { 'data-testid': 'manual-key', 'aria-describedby': 'mfa-key-hint', text: key }), copyKey]),
    /^otpauth:\/\//.test(otpauthUri || '') ? el('a', { className: 'mfa-open-app', href: otpauthUri, text: t.openApp }) : null,
  ]);

  const input = sixDigitInput();
  const fieldError = el('p', { id: 'mfa-code-error', className: 'mfa-field-error', role: 'alert' });
  const submit = el('button', { type: 'submit', className: 'mfa-button', text: t.submit });
  ctx.input = input;
  ctx.fieldError = fieldError;
  const form = el('form', { className: 'mfa-form', novalidate: true }, [
    el('label', { for: 'mfa-code', className: 'mfa-label', text: t.codeLabel }),
    input,
    fieldError,
    submit,
  ]);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    confirmCode(ctx, '/enroll/confirm', transactionToken, input, submit, { done: t.doneText, format: t.codeFormat, restarted: t.restarted });
  });
  const enter = el('li', { className: 'mfa-step' }, [el('h2', { className: 'mfa-step-title', text: t.codeTitle }), form]);
  body.appendChild(el('ol', { className: 'mfa-steps' }, [scan, enter]));
  if (notice) ctx.showFieldError(notice);
}

export const totpUI = {
  factors: ['otp'],
  messages,
  enroll: showEnroll,
  login: {
    form: {
      field: 'code',
      state: 'login',
      input: sixDigitInput,
      title: (t) => t.loginTitle,
      label: (t) => t.codeLabel,
      formatError: (t) => t.codeFormat,
      read: readSixDigits,
    },
    label: (t) => t.useCode,
  },
} satisfies FactorUI<TotpText>;
