/** The languages the hosted page speaks (the page's own words: lib/enrollment/messages.ts); every table has all five. */
export const LOCALES = ['en', 'es', 'fr', 'de', 'pt-BR'] as const;
export type Locale = (typeof LOCALES)[number];

/** One module's words in every locale: the same keys in each (the type checker holds the others to English's). */
export type MessageTable<Text> = Record<Locale, Text>;

/** A locale's words as the widget reads them: the shell's and every factor module's, merged into one table. */
export type Words = Record<string, string>;

/**
 * The shell's words: loading, links, the flow's errors, the done screen and the recovery code every first enrollment
 * shows. Each factor's words live in its module (lib/factors/<factor>/widget.ts).
 */
const en = {
  loading: 'Preparing your authenticator…',
  copied: 'Copied to the clipboard.',
  verifying: 'Checking the code…',
  wrongCode: 'That code didn’t work. {n} attempts left.',
  wrongCodeOne: 'That code didn’t work. 1 attempt left.',
  doneTitle: 'You’re all set',
  recoveryTitle: 'Your recovery code',
  recoveryText: 'Save this code somewhere safe, such as a password manager. It lets you sign in if you lose your phone, and it won’t be shown again.',
  copyCode: 'Copy code',
  savedIt: 'I have saved my recovery code',
  continue: 'Continue',
  closePage: 'You can close this page now.',
  network: 'We couldn’t reach the server. Check your connection and try again.',
  retry: 'Try again',
  failed: 'Something went wrong on our side. Please try again in a moment.',
  ticket_not_found: 'This link isn’t valid. Ask for a new one.',
  ticket_superseded: 'This link was replaced by a newer one. Use the link in the latest email.',
  ticket_redeemed: 'This link was already used.',
  ticket_expired: 'This link has expired. Ask for a new one.',
  ticket_revoked: 'This link was cancelled. Ask for a new one.',
  ticket_locked: 'Too many wrong codes: this link is now locked. Ask for a new one.',
  already_enrolled: 'Two-factor authentication is already set up for this account.',
  loginUnavailable: 'Signing in with a second factor is not available on this page.',
  verify: 'Verify',
  newRecoveryTitle: 'Your new recovery code',
  newRecoveryText: 'The code you used no longer works. Save this new one somewhere safe, such as a password manager: it won’t be shown again.',
  signingIn: 'Signing you in…',
  rememberBrowser: 'Remember this browser for {n} days',
  tooMany: 'Too many wrong codes. Try again in {n} minutes.',
  challenge_not_found: 'This sign-in link isn’t valid. Go back to the app and sign in again.',
  challenge_expired: 'This sign-in request has expired. Go back to the app and sign in again.',
  challenge_accepted: 'This sign-in request was already used.',
  challenge_locked: 'Too many wrong codes: this sign-in request is locked. Go back to the app and sign in again.',
};

export type ShellText = typeof en;

export const SHELL_MESSAGES: MessageTable<ShellText> = {
  en,
  es: {
    loading: 'Preparando tu autenticador…',
    copied: 'Copiado al portapapeles.',
    verifying: 'Comprobando el código…',
    wrongCode: 'Ese código no es válido. Te quedan {n} intentos.',
    wrongCodeOne: 'Ese código no es válido. Te queda 1 intento.',
    doneTitle: '¡Todo listo!',
    recoveryTitle: 'Tu código de recuperación',
    recoveryText: 'Guarda este código en un lugar seguro, como un gestor de contraseñas. Te permite iniciar sesión si pierdes el teléfono y no se volverá a mostrar.',
    copyCode: 'Copiar código',
    savedIt: 'He guardado mi código de recuperación',
    continue: 'Continuar',
    closePage: 'Ya puedes cerrar esta página.',
    network: 'No hemos podido conectar con el servidor. Comprueba tu conexión e inténtalo de nuevo.',
    retry: 'Reintentar',
    failed: 'Algo ha salido mal por nuestra parte. Inténtalo de nuevo dentro de un momento.',
    ticket_not_found: 'Este enlace no es válido. Solicita uno nuevo.',
    ticket_superseded: 'Este enlace se sustituyó por uno más reciente. Usa el enlace del último correo.',
    ticket_redeemed: 'Este enlace ya se ha utilizado.',
    ticket_expired: 'Este enlace ha caducado. Solicita uno nuevo.',
    ticket_revoked: 'Este enlace se ha cancelado. Solicita uno nuevo.',
    ticket_locked: 'Demasiados códigos incorrectos: este enlace está bloqueado. Solicita uno nuevo.',
    already_enrolled: 'La verificación en dos pasos ya está configurada en esta cuenta.',
    loginUnavailable: 'El inicio de sesión con un segundo factor no está disponible en esta página.',
    verify: 'Verificar',
    newRecoveryTitle: 'Tu nuevo código de recuperación',
    newRecoveryText: 'El código que usaste ya no funciona. Guarda este nuevo en un lugar seguro, como un gestor de contraseñas: no se volverá a mostrar.',
    signingIn: 'Iniciando sesión…',
    rememberBrowser: 'Recordar este navegador durante {n} días',
    tooMany: 'Demasiados códigos incorrectos. Inténtalo de nuevo dentro de {n} minutos.',
    challenge_not_found: 'Este enlace de inicio de sesión no es válido. Vuelve a la aplicación e inicia sesión de nuevo.',
    challenge_expired: 'Esta solicitud de inicio de sesión ha caducado. Vuelve a la aplicación e inicia sesión de nuevo.',
    challenge_accepted: 'Esta solicitud de inicio de sesión ya se utilizó.',
    challenge_locked: 'Demasiados códigos incorrectos: esta solicitud está bloqueada. Vuelve a la aplicación e inicia sesión de nuevo.',
  },
  fr: {
    loading: 'Préparation de votre authentificateur…',
    copied: 'Copié dans le presse-papiers.',
    verifying: 'Vérification du code…',
    wrongCode: 'Ce code ne fonctionne pas. Il vous reste {n} essais.',
    wrongCodeOne: 'Ce code ne fonctionne pas. Il vous reste 1 essai.',
    doneTitle: 'C’est terminé',
    recoveryTitle: 'Votre code de récupération',
    recoveryText: 'Conservez ce code en lieu sûr, par exemple dans un gestionnaire de mots de passe. Il vous permet de vous connecter si vous perdez votre téléphone et ne sera plus affiché.',
    copyCode: 'Copier le code',
    savedIt: 'J’ai conservé mon code de récupération',
    continue: 'Continuer',
    closePage: 'Vous pouvez fermer cette page.',
    network: 'Impossible de joindre le serveur. Vérifiez votre connexion et réessayez.',
    retry: 'Réessayer',
    failed: 'Une erreur est survenue de notre côté. Réessayez dans un instant.',
    ticket_not_found: 'Ce lien n’est pas valide. Demandez-en un nouveau.',
    ticket_superseded: 'Ce lien a été remplacé par un plus récent. Utilisez le lien du dernier e-mail.',
    ticket_redeemed: 'Ce lien a déjà été utilisé.',
    ticket_expired: 'Ce lien a expiré. Demandez-en un nouveau.',
    ticket_revoked: 'Ce lien a été annulé. Demandez-en un nouveau.',
    ticket_locked: 'Trop de codes incorrects : ce lien est bloqué. Demandez-en un nouveau.',
    already_enrolled: 'L’authentification à deux facteurs est déjà configurée pour ce compte.',
    loginUnavailable: 'La connexion avec un second facteur n’est pas disponible sur cette page.',
    verify: 'Vérifier',
    newRecoveryTitle: 'Votre nouveau code de récupération',
    newRecoveryText: 'Le code utilisé ne fonctionne plus. Conservez ce nouveau code en lieu sûr, par exemple dans un gestionnaire de mots de passe : il ne sera plus affiché.',
    signingIn: 'Connexion en cours…',
    rememberBrowser: 'Se souvenir de ce navigateur pendant {n} jours',
    tooMany: 'Trop de codes incorrects. Réessayez dans {n} minutes.',
    challenge_not_found: 'Ce lien de connexion n’est pas valide. Revenez à l’application et connectez-vous à nouveau.',
    challenge_expired: 'Cette demande de connexion a expiré. Revenez à l’application et connectez-vous à nouveau.',
    challenge_accepted: 'Cette demande de connexion a déjà été utilisée.',
    challenge_locked: 'Trop de codes incorrects : cette demande est bloquée. Revenez à l’application et connectez-vous à nouveau.',
  },
  de: {
    loading: 'Ihr Authenticator wird vorbereitet…',
    copied: 'In die Zwischenablage kopiert.',
    verifying: 'Code wird geprüft…',
    wrongCode: 'Dieser Code hat nicht funktioniert. Noch {n} Versuche.',
    wrongCodeOne: 'Dieser Code hat nicht funktioniert. Noch 1 Versuch.',
    doneTitle: 'Alles erledigt',
    recoveryTitle: 'Ihr Wiederherstellungscode',
    recoveryText: 'Bewahren Sie diesen Code sicher auf, zum Beispiel in einem Passwort-Manager. Mit ihm können Sie sich anmelden, wenn Sie Ihr Telefon verlieren. Er wird nicht noch einmal angezeigt.',
    copyCode: 'Code kopieren',
    savedIt: 'Ich habe meinen Wiederherstellungscode gespeichert',
    continue: 'Weiter',
    closePage: 'Sie können diese Seite jetzt schließen.',
    network: 'Der Server ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.',
    retry: 'Erneut versuchen',
    failed: 'Bei uns ist etwas schiefgelaufen. Bitte versuchen Sie es gleich noch einmal.',
    ticket_not_found: 'Dieser Link ist ungültig. Fordern Sie einen neuen an.',
    ticket_superseded: 'Dieser Link wurde durch einen neueren ersetzt. Verwenden Sie den Link aus der neuesten E-Mail.',
    ticket_redeemed: 'Dieser Link wurde bereits verwendet.',
    ticket_expired: 'Dieser Link ist abgelaufen. Fordern Sie einen neuen an.',
    ticket_revoked: 'Dieser Link wurde widerrufen. Fordern Sie einen neuen an.',
    ticket_locked: 'Zu viele falsche Codes: Dieser Link ist gesperrt. Fordern Sie einen neuen an.',
    already_enrolled: 'Für dieses Konto ist die Zwei-Faktor-Authentifizierung bereits eingerichtet.',
    loginUnavailable: 'Die Anmeldung mit einem zweiten Faktor ist auf dieser Seite nicht verfügbar.',
    verify: 'Bestätigen',
    newRecoveryTitle: 'Ihr neuer Wiederherstellungscode',
    newRecoveryText: 'Der verwendete Code funktioniert nicht mehr. Bewahren Sie diesen neuen sicher auf, zum Beispiel in einem Passwort-Manager: Er wird nicht noch einmal angezeigt.',
    signingIn: 'Sie werden angemeldet…',
    rememberBrowser: 'Diesen Browser {n} Tage lang merken',
    tooMany: 'Zu viele falsche Codes. Versuchen Sie es in {n} Minuten erneut.',
    challenge_not_found: 'Dieser Anmeldelink ist ungültig. Kehren Sie zur App zurück und melden Sie sich erneut an.',
    challenge_expired: 'Diese Anmeldeanfrage ist abgelaufen. Kehren Sie zur App zurück und melden Sie sich erneut an.',
    challenge_accepted: 'Diese Anmeldeanfrage wurde bereits verwendet.',
    challenge_locked: 'Zu viele falsche Codes: Diese Anmeldeanfrage ist gesperrt. Kehren Sie zur App zurück und melden Sie sich erneut an.',
  },
  'pt-BR': {
    loading: 'Preparando seu autenticador…',
    copied: 'Copiado para a área de transferência.',
    verifying: 'Verificando o código…',
    wrongCode: 'Esse código não funcionou. Restam {n} tentativas.',
    wrongCodeOne: 'Esse código não funcionou. Resta 1 tentativa.',
    doneTitle: 'Tudo pronto',
    recoveryTitle: 'Seu código de recuperação',
    recoveryText: 'Guarde este código em um lugar seguro, como um gerenciador de senhas. Ele permite entrar se você perder o celular e não será exibido novamente.',
    copyCode: 'Copiar código',
    savedIt: 'Guardei meu código de recuperação',
    continue: 'Continuar',
    closePage: 'Você já pode fechar esta página.',
    network: 'Não foi possível falar com o servidor. Verifique sua conexão e tente novamente.',
    retry: 'Tentar novamente',
    failed: 'Algo deu errado do nosso lado. Tente novamente em instantes.',
    ticket_not_found: 'Este link não é válido. Peça um novo.',
    ticket_superseded: 'Este link foi substituído por um mais recente. Use o link do e-mail mais recente.',
    ticket_redeemed: 'Este link já foi usado.',
    ticket_expired: 'Este link expirou. Peça um novo.',
    ticket_revoked: 'Este link foi cancelado. Peça um novo.',
    ticket_locked: 'Códigos incorretos demais: este link está bloqueado. Peça um novo.',
    already_enrolled: 'A autenticação em duas etapas já está configurada nesta conta.',
    loginUnavailable: 'O login com um segundo fator não está disponível nesta página.',
    verify: 'Verificar',
    newRecoveryTitle: 'Seu novo código de recuperação',
    newRecoveryText: 'O código usado não funciona mais. Guarde este novo em um lugar seguro, como um gerenciador de senhas: ele não será exibido novamente.',
    signingIn: 'Entrando…',
    rememberBrowser: 'Lembrar deste navegador por {n} dias',
    tooMany: 'Códigos incorretos demais. Tente novamente em {n} minutos.',
    challenge_not_found: 'Este link de login não é válido. Volte ao aplicativo e faça login novamente.',
    challenge_expired: 'Esta solicitação de login expirou. Volte ao aplicativo e faça login novamente.',
    challenge_accepted: 'Esta solicitação de login já foi usada.',
    challenge_locked: 'Códigos incorretos demais: esta solicitação está bloqueada. Volte ao aplicativo e faça login novamente.',
  },
};

/** Every module's tables merged per locale, in the order of LOCALES: what `MfaWidget.messages` exposes. */
export function mergeMessages(tables: ReadonlyArray<MessageTable<object>>): Record<string, Words> {
  const merged: Record<string, Words> = {};
  for (const locale of LOCALES) merged[locale] = Object.assign({}, ...tables.map((table) => table[locale]));
  return merged;
}

/** A module's two tables (its enrolling words and its signing-in words) as one, locale by locale. */
export const joinTables = <A, B>(a: MessageTable<A>, b: MessageTable<B>): MessageTable<A & B> =>
  Object.fromEntries(LOCALES.map((locale) => [locale, { ...a[locale], ...b[locale] }])) as MessageTable<A & B>;

/** The words for the widget's `locale` option, else the page's lang, else the browser's languages; English last. */
export function pickMessages(messages: Record<string, Words>, locale: string): Words {
  const tags = [locale, document.documentElement.lang].concat(navigator.languages || [navigator.language]);
  for (let i = 0; i < tags.length; i++) {
    const tag = String(tags[i] || '').toLowerCase();
    if (!tag) continue;
    for (const key in messages) if (key.toLowerCase() === tag) return messages[key]!;
    for (const key in messages) if (key.toLowerCase().split('-')[0] === tag.split('-')[0]) return messages[key]!;
  }
  return messages.en!;
}

/** "That code didn't work. N attempts left." */
export const wrongCodeText = (t: ShellText, left: number): string => (left === 1 ? t.wrongCodeOne : t.wrongCode.replace('{n}', String(left)));

/** "Too many wrong codes. Try again in N minutes." from a 429's `retry_after_sec` (a minute at least). */
export const tooManyText = (t: ShellText, retryAfterSec: unknown): string =>
  t.tooMany.replace('{n}', String(Math.max(1, Math.ceil(Number(retryAfterSec || 60) / 60))));
