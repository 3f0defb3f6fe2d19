/**
 * Security keys (`webauthn-roaming`) and passkeys (`webauthn-platform`) on the hosted page: one button that runs the
 * browser's registration ceremony (POST /enroll/webauthn), and at sign-in one that runs the authentication ceremony
 * for the challenge (POST /mfa/webauthn/options, then POST /mfa/webauthn). The ceremonies are @simplewebauthn/browser's,
 * served by us beside the widget as `webauthn.js` and loaded on first use only.
 */
import { ASSET_BASE } from '../../widget/assets';
import { el } from '../../widget/dom';
import type { FactorUI, WidgetContext } from '../../widget/factor';
import { errorOf, type Answer, type CallResult } from '../../widget/http';
import { tooManyText, type MessageTable } from '../../widget/messages';

const en = {
  keyTitle: 'Register your security key',
  keyText: 'Insert or tap your security key when your browser asks.',
  keyButton: 'Register security key',
  passkeyTitle: 'Create a passkey on this device',
  passkeyText: 'Your device will ask for your fingerprint, face or screen lock.',
  passkeyButton: 'Create passkey',
  keyWaiting: 'Follow the prompt from your browser…',
  keyDoneText: 'Your security key or passkey is set up. You’ll use it when you sign in.',
  keyTimeout: 'The request timed out before your key answered. Try again, and respond to the prompt a little sooner.',
  keyCancelled: 'The request was cancelled. Try again when you’re ready.',
  keyRegistered: 'This security key or passkey is already registered. Use a different one.',
  keyUnsupported: 'This browser or device can’t do this: it has no support for security keys or passkeys, or can’t check your fingerprint, face, PIN or screen lock. Try another device or browser.',
  keyFailed: 'Your key’s answer couldn’t be checked. Try again.',
  useKey: 'Use your security key or passkey',
  loginKeyTitle: 'Sign in with your security key or passkey',
  loginKeyButton: 'Use security key or passkey',
};

type WebauthnText = typeof en;

const messages: MessageTable<WebauthnText> = {
  en,
  es: {
    keyTitle: 'Registra tu llave de seguridad',
    keyText: 'Inserta o toca tu llave de seguridad cuando el navegador lo pida.',
    keyButton: 'Registrar llave de seguridad',
    passkeyTitle: 'Crea una llave de acceso en este dispositivo',
    passkeyText: 'El dispositivo te pedirá tu huella, tu cara o el bloqueo de pantalla.',
    passkeyButton: 'Crear llave de acceso',
    keyWaiting: 'Sigue las indicaciones del navegador…',
    keyDoneText: 'Tu llave de seguridad o llave de acceso ya está configurada. La usarás al iniciar sesión.',
    keyTimeout: 'Se agotó el tiempo antes de que respondiera tu llave. Inténtalo de nuevo y responde un poco antes.',
    keyCancelled: 'Se canceló la solicitud. Inténtalo de nuevo cuando quieras.',
    keyRegistered: 'Esta llave de seguridad o llave de acceso ya está registrada. Usa otra.',
    keyUnsupported: 'Este navegador o dispositivo no puede hacerlo: no admite llaves de seguridad ni llaves de acceso, o no puede comprobar tu huella, cara, PIN o bloqueo de pantalla. Prueba con otro dispositivo o navegador.',
    keyFailed: 'No se pudo comprobar la respuesta de tu llave. Inténtalo de nuevo.',
    useKey: 'Usar tu llave de seguridad o llave de acceso',
    loginKeyTitle: 'Inicia sesión con tu llave de seguridad o llave de acceso',
    loginKeyButton: 'Usar llave de seguridad o de acceso',
  },
  fr: {
    keyTitle: 'Enregistrez votre clé de sécurité',
    keyText: 'Insérez ou touchez votre clé de sécurité quand le navigateur le demande.',
    keyButton: 'Enregistrer la clé de sécurité',
    passkeyTitle: 'Créez une clé d’accès sur cet appareil',
    passkeyText: 'Votre appareil vous demandera votre empreinte, votre visage ou le verrouillage de l’écran.',
    passkeyButton: 'Créer une clé d’accès',
    keyWaiting: 'Suivez les instructions de votre navigateur…',
    keyDoneText: 'Votre clé de sécurité ou clé d’accès est configurée. Vous l’utiliserez pour vous connecter.',
    keyTimeout: 'Le délai a expiré avant la réponse de votre clé. Réessayez en répondant un peu plus tôt.',
    keyCancelled: 'La demande a été annulée. Réessayez quand vous serez prêt.',
    keyRegistered: 'Cette clé de sécurité ou clé d’accès est déjà enregistrée. Utilisez-en une autre.',
    keyUnsupported: 'Ce navigateur ou cet appareil ne le permet pas : il ne prend pas en charge les clés de sécurité ni les clés d’accès, ou ne peut pas vérifier votre empreinte, visage, code PIN ou verrouillage d’écran. Essayez un autre appareil ou navigateur.',
    keyFailed: 'La réponse de votre clé n’a pas pu être vérifiée. Réessayez.',
    useKey: 'Utiliser votre clé de sécurité ou clé d’accès',
    loginKeyTitle: 'Connectez-vous avec votre clé de sécurité ou clé d’accès',
    loginKeyButton: 'Utiliser la clé de sécurité ou d’accès',
  },
  de: {
    keyTitle: 'Sicherheitsschlüssel registrieren',
    keyText: 'Stecken Sie Ihren Sicherheitsschlüssel ein oder berühren Sie ihn, wenn der Browser danach fragt.',
    keyButton: 'Sicherheitsschlüssel registrieren',
    passkeyTitle: 'Passkey auf diesem Gerät erstellen',
    passkeyText: 'Ihr Gerät fragt nach Fingerabdruck, Gesicht oder Bildschirmsperre.',
    passkeyButton: 'Passkey erstellen',
    keyWaiting: 'Folgen Sie der Aufforderung Ihres Browsers…',
    keyDoneText: 'Ihr Sicherheitsschlüssel oder Passkey ist eingerichtet. Sie verwenden ihn bei der Anmeldung.',
    keyTimeout: 'Die Zeit ist abgelaufen, bevor Ihr Schlüssel geantwortet hat. Versuchen Sie es erneut und reagieren Sie etwas schneller.',
    keyCancelled: 'Der Vorgang wurde abgebrochen. Versuchen Sie es erneut, wenn Sie bereit sind.',
    keyRegistered: 'Dieser Sicherheitsschlüssel oder Passkey ist bereits registriert. Verwenden Sie einen anderen.',
    keyUnsupported: 'Dieser Browser oder dieses Gerät kann das nicht: Es unterstützt keine Sicherheitsschlüssel oder Passkeys oder kann Fingerabdruck, Gesicht, PIN oder Bildschirmsperre nicht prüfen. Versuchen Sie ein anderes Gerät oder einen anderen Browser.',
    keyFailed: 'Die Antwort Ihres Schlüssels konnte nicht geprüft werden. Versuchen Sie es erneut.',
    useKey: 'Sicherheitsschlüssel oder Passkey verwenden',
    loginKeyTitle: 'Mit Sicherheitsschlüssel oder Passkey anmelden',
    loginKeyButton: 'Sicherheitsschlüssel oder Passkey verwenden',
  },
  'pt-BR': {
    keyTitle: 'Registre sua chave de segurança',
    keyText: 'Insira ou toque na sua chave de segurança quando o navegador pedir.',
    keyButton: 'Registrar chave de segurança',
    passkeyTitle: 'Crie uma chave de acesso neste dispositivo',
    passkeyText: 'O dispositivo vai pedir sua digital, seu rosto ou o bloqueio de tela.',
    passkeyButton: 'Criar chave de acesso',
    keyWaiting: 'Siga as instruções do navegador…',
    keyDoneText: 'Sua chave de segurança ou chave de acesso está configurada. Você vai usá-la ao entrar.',
    keyTimeout: 'O tempo acabou antes de a sua chave responder. Tente de novo e responda um pouco antes.',
    keyCancelled: 'A solicitação foi cancelada. Tente de novo quando estiver pronto.',
    keyRegistered: 'Esta chave de segurança ou chave de acesso já está registrada. Use outra.',
    keyUnsupported: 'Este navegador ou dispositivo não consegue fazer isso: não aceita chaves de segurança nem chaves de acesso, ou não consegue verificar sua digital, rosto, PIN ou bloqueio de tela. Tente outro dispositivo ou navegador.',
    keyFailed: 'Não foi possível verificar a resposta da sua chave. Tente de novo.',
    useKey: 'Usar sua chave de segurança ou chave de acesso',
    loginKeyTitle: 'Entre com sua chave de segurança ou chave de acesso',
    loginKeyButton: 'Usar chave de segurança ou de acesso',
  },
};

type Ctx = WidgetContext<WebauthnText>;

/** The part of @simplewebauthn/browser's UMD global (`SimpleWebAuthnBrowser`) the widget uses. */
interface WebauthnHelper {
  startRegistration(options: { optionsJSON: unknown }): Promise<unknown>;
  startAuthentication(options: { optionsJSON: unknown }): Promise<unknown>;
}

declare global {
  interface Window {
    SimpleWebAuthnBrowser?: WebauthnHelper;
  }
}

/** A failed ceremony as the browser or the helper reports it. */
interface CeremonyError {
  code?: string;
  name?: string;
}

/** The WebAuthn helper, loaded once, on first use. */
let webauthnLoading: Promise<WebauthnHelper> | undefined;
function loadWebauthn(): Promise<WebauthnHelper> {
  if (window.SimpleWebAuthnBrowser) return Promise.resolve(window.SimpleWebAuthnBrowser);
  webauthnLoading =
    webauthnLoading ||
    new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = ASSET_BASE + 'webauthn.js';
      script.onload = () => {
        if (window.SimpleWebAuthnBrowser) resolve(window.SimpleWebAuthnBrowser);
        else reject(new Error('webauthn helper missing'));
      };
      script.onerror = () => {
        webauthnLoading = undefined;
        reject(new Error('webauthn helper not loaded'));
      };
      document.head.appendChild(script);
    });
  return webauthnLoading;
}

const UNSUPPORTED = [
  'ERROR_AUTHENTICATOR_MISSING_DISCOVERABLE_CREDENTIAL_SUPPORT',
  'ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT',
  'ERROR_AUTHENTICATOR_NO_SUPPORTED_PUBKEYCREDPARAMS_ALG',
];

/** The plain-words message of a failed browser ceremony: timeout, cancel, already registered, missing capability. */
function keyMessage(t: WebauthnText, err: CeremonyError | undefined, startedAt: number, timeoutMs: unknown): string {
  const code = err && err.code;
  const name = err && err.name;
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') return t.keyRegistered;
  if (UNSUPPORTED.indexOf(code as string) >= 0 || name === 'NotSupportedError') return t.keyUnsupported;
  // The browser reports a timeout and a cancelled prompt alike (NotAllowedError): the time taken tells them apart.
  if (name === 'NotAllowedError' || code === 'ERROR_CEREMONY_ABORTED') {
    return Date.now() - startedAt >= Math.max(0, (Number(timeoutMs) || 0) - 2000) && timeoutMs ? t.keyTimeout : t.keyCancelled;
  }
  return t.keyFailed;
}

/** Whether this browser can run the ceremony at all, and for a passkey, verify the user on this device. */
function keyCapable(platform: boolean): Promise<boolean> {
  if (!window.PublicKeyCredential || !navigator.credentials) return Promise.resolve(false);
  if (!platform) return Promise.resolve(true);
  if (typeof PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable !== 'function') return Promise.resolve(false);
  return PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable().catch(() => false);
}

/** Enrollment of a security key or passkey: one button that runs the browser's registration ceremony. */
function showKeyEnroll(ctx: Ctx, data: Answer, notice?: string): void {
  const t = ctx.t;
  const platform = data.factor === 'webauthn-platform';
  const body = ctx.view('enroll-key');
  ctx.fieldError = el('p', { id: 'mfa-code-error', className: 'mfa-field-error', role: 'alert' });
  const button = el('button', { type: 'button', className: 'mfa-button', 'data-testid': 'register-key', text: platform ? t.passkeyButton : t.keyButton });
  button.addEventListener('click', () => registerKey(ctx, data, button));
  body.appendChild(
    el('div', { className: 'mfa-step' }, [
      el('h2', { className: 'mfa-step-title', text: platform ? t.passkeyTitle : t.keyTitle }),
      el('p', { className: 'mfa-hint', text: platform ? t.passkeyText : t.keyText }),
      ctx.fieldError,
      button,
    ]),
  );
  if (notice) ctx.notice(notice);
}

function registerKey(ctx: Ctx, data: Answer, button: HTMLButtonElement): void {
  const t = ctx.t;
  const options = (data.public_key || {}) as { timeout?: unknown };
  let startedAt = Date.now();
  button.disabled = true;
  ctx.status.textContent = t.keyWaiting;
  const finish = (message?: string) => {
    button.disabled = false;
    ctx.status.textContent = '';
    if (message) ctx.notice(message);
  };
  keyCapable(data.factor === 'webauthn-platform')
    .then((capable) => {
      if (!capable) return finish(t.keyUnsupported);
      return loadWebauthn().then((lib) => {
        startedAt = Date.now();
        return lib.startRegistration({ optionsJSON: options }).then(
          (credential) =>
            ctx.call('/enroll/webauthn', { ticket: ctx.ticket, credential }).then((result) => {
              finish();
              if (result.status === 200) return ctx.showDone(result.data, t.keyDoneText);
              const error = errorOf(result);
              if (error === 'credential_already_registered') return ctx.notice(t.keyRegistered);
              if (error === 'ceremony_expired') return ctx.start(t.keyTimeout);
              if (error === 'invalid_credential') return ctx.notice(t.keyFailed);
              ctx.handleError(result, () => ctx.start());
            }),
          (err: CeremonyError | undefined) => finish(keyMessage(t, err, startedAt, options.timeout)),
        );
      });
    })
    .catch(() => finish(t.network));
}

/** Sign-in with a security key or passkey: a button that runs the ceremony for this challenge. */
function keyStep(ctx: Ctx): HTMLElement {
  const t = ctx.t;
  const button = el('button', { type: 'button', className: 'mfa-button', 'data-testid': 'use-key', text: t.loginKeyButton });
  button.addEventListener('click', () => loginWithKey(ctx, button));
  return el('div', { className: 'mfa-step' }, [el('h2', { className: 'mfa-step-title', text: t.loginKeyTitle }), button]);
}

/** Options for this challenge, the browser's ceremony, then the check. */
function loginWithKey(ctx: Ctx, button: HTMLButtonElement): void {
  const t = ctx.t;
  let startedAt = Date.now();
  let timeoutMs: unknown = 0;
  button.disabled = true;
  ctx.status.textContent = t.keyWaiting;
  const finish = (message?: string) => {
    button.disabled = false;
    ctx.status.textContent = '';
    if (message) ctx.notice(message);
  };
  const failed = (result: CallResult) => {
    finish();
    const data = result.data || {};
    if (data.error === 'invalid_code') return ctx.notice(t.keyFailed);
    if (data.error === 'too_many_attempts') return ctx.notice(tooManyText(t, data.retry_after_sec));
    ctx.handleError(result, () => ctx.showLogin(false));
  };
  keyCapable(false)
    .then((capable) => {
      if (!capable) return finish(t.keyUnsupported);
      return Promise.all([loadWebauthn(), ctx.call('/mfa/webauthn/options', { request_token: ctx.requestToken })]).then(([lib, options]) => {
        if (options.status !== 200) return failed(options);
        const publicKey = options.data.public_key as { timeout?: unknown } | undefined;
        timeoutMs = publicKey && publicKey.timeout;
        startedAt = Date.now();
        return lib.startAuthentication({ optionsJSON: publicKey }).then(
          (credential) =>
            ctx.call('/mfa/webauthn', ctx.withRemember({ request_token: ctx.requestToken, credential })).then((result) => {
              if (result.status === 200) {
                finish();
                return ctx.loginSucceeded(result.data);
              }
              failed(result);
            }),
          (err: CeremonyError | undefined) => finish(keyMessage(t, err, startedAt, timeoutMs)),
        );
      });
    })
    .catch(() => finish(t.network));
}

export const webauthnUI = {
  factors: ['webauthn-roaming', 'webauthn-platform'],
  messages,
  enroll: showKeyEnroll,
  login: { step: keyStep, label: (t) => t.useKey },
} satisfies FactorUI<WebauthnText>;
