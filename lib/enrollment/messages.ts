/**
 * The hosted page's own words, in the locales the emails ship in. The widget's words (buttons, code errors) travel
 * with the widget script (templates/page/assets/widget.js), which runs where these cannot.
 */
export const PAGE_LOCALES = ['en', 'es', 'fr', 'de', 'pt-BR'] as const;
export type PageLocale = (typeof PAGE_LOCALES)[number];
export const DEFAULT_PAGE_LOCALE: PageLocale = 'en';

/** Why the page shows a message instead of the enrollment widget. */
export type MessageKind = 'not_found' | 'superseded' | 'redeemed' | 'expired' | 'revoked' | 'locked' | 'already_enrolled' | 'error';

export interface PageText {
  title: string;
  heading: string;
  /** `{email}` is replaced; `greetingAnonymous` when the ticket has no email. */
  greeting: string;
  greetingAnonymous: string;
  intro: string;
  /** The heading and intro of a security key or passkey ticket. */
  keyHeading: string;
  keyIntro: string;
  /** The heading and intro of an email ticket. */
  emailHeading: string;
  emailIntro: string;
  /** The heading and intro of a phone ticket. */
  phoneHeading: string;
  phoneIntro: string;
  /** `{date}` is replaced. */
  expires: string;
  noscript: string;
  loginUnavailable: string;
  messages: Record<MessageKind, { title: string; body: string }>;
}

const en: PageText = {
  title: 'Set up two-factor authentication',
  heading: 'Set up your authenticator app',
  greeting: 'Welcome, {email}.',
  greetingAnonymous: 'Welcome.',
  intro:
    'Add a second layer of security to your account: scan a QR code with an authenticator app such as Google Authenticator, Microsoft Authenticator, 1Password or Authy, then enter the code it shows.',
  keyHeading: 'Set up your security key or passkey',
  keyIntro: 'Add a second layer of security to your account: register a security key, or create a passkey on this device. Your browser will guide you.',
  emailHeading: 'Confirm your email address for sign-in codes',
  emailIntro: 'Add a second layer of security to your account: we’ll email you a 6-digit code, and you enter it here. When you sign in, you’ll get a new code the same way.',
  phoneHeading: 'Set up your phone for sign-in codes',
  phoneIntro: 'Add a second layer of security to your account: enter your phone number, and we’ll send you a 6-digit code by text or call to enter here. When you sign in, you’ll get a new code the same way.',
  expires: 'This link expires on {date}.',
  noscript: 'This page needs JavaScript to set up your authenticator app. Please turn it on and reload the page.',
  loginUnavailable: 'Signing in with a second factor is not available on this page.',
  messages: {
    not_found: {
      title: 'This link isn’t valid',
      body: 'Check that you opened the whole link from your email. If it still doesn’t work, ask for a new one.',
    },
    superseded: {
      title: 'This link is no longer valid',
      body: 'A newer link was sent for this enrollment, which replaced this one. Use the link in the most recent email, or ask for a new one.',
    },
    redeemed: {
      title: 'This link was already used',
      body: 'Your authenticator app was already set up with this link, and each link works only once. If that wasn’t you, contact your administrator.',
    },
    expired: {
      title: 'This link has expired',
      body: 'Enrollment links work for a limited time. Ask for a new one to set up your authenticator app.',
    },
    revoked: {
      title: 'This link was cancelled',
      body: 'Ask for a new one if you still need to set up your authenticator app.',
    },
    locked: {
      title: 'This link is locked',
      body: 'Too many wrong codes were entered. For your security, ask for a new link to try again.',
    },
    already_enrolled: {
      title: 'Two-factor authentication is already set up',
      body: 'Your account already has an authenticator app. Contact your administrator if you need to replace it.',
    },
    error: {
      title: 'Something went wrong',
      body: 'We couldn’t load this page. Please try again in a moment.',
    },
  },
};

const es: PageText = {
  title: 'Configura la verificación en dos pasos',
  heading: 'Configura tu aplicación de autenticación',
  greeting: 'Hola, {email}.',
  greetingAnonymous: 'Hola.',
  intro:
    'Añade una capa extra de seguridad a tu cuenta: escanea un código QR con una aplicación de autenticación como Google Authenticator, Microsoft Authenticator, 1Password o Authy y escribe el código que te muestre.',
  keyHeading: 'Configura tu llave de seguridad o llave de acceso',
  keyIntro: 'Añade una segunda capa de seguridad a tu cuenta: registra una llave de seguridad o crea una llave de acceso en este dispositivo. El navegador te guiará.',
  emailHeading: 'Confirma tu correo para los códigos de inicio de sesión',
  emailIntro: 'Añade una segunda capa de seguridad a tu cuenta: te enviaremos un código de 6 dígitos por correo y lo escribirás aquí. Al iniciar sesión recibirás un código nuevo de la misma forma.',
  phoneHeading: 'Configura tu teléfono para los códigos de inicio de sesión',
  phoneIntro: 'Añade una segunda capa de seguridad a tu cuenta: escribe tu número de teléfono y te enviaremos un código de 6 dígitos por SMS o llamada para que lo escribas aquí. Al iniciar sesión recibirás un código nuevo de la misma forma.',
  expires: 'Este enlace caduca el {date}.',
  noscript: 'Esta página necesita JavaScript para configurar tu aplicación de autenticación. Actívalo y vuelve a cargar la página.',
  loginUnavailable: 'El inicio de sesión con un segundo factor no está disponible en esta página.',
  messages: {
    not_found: {
      title: 'Este enlace no es válido',
      body: 'Comprueba que has abierto el enlace completo de tu correo. Si sigue sin funcionar, solicita uno nuevo.',
    },
    superseded: {
      title: 'Este enlace ya no es válido',
      body: 'Se envió un enlace más reciente para este registro, que sustituye a este. Usa el enlace del correo más reciente o solicita uno nuevo.',
    },
    redeemed: {
      title: 'Este enlace ya se ha utilizado',
      body: 'Tu aplicación de autenticación ya se configuró con este enlace, y cada enlace solo funciona una vez. Si no fuiste tú, ponte en contacto con tu administrador.',
    },
    expired: {
      title: 'Este enlace ha caducado',
      body: 'Los enlaces de registro solo son válidos durante un tiempo limitado. Solicita uno nuevo para configurar tu aplicación de autenticación.',
    },
    revoked: {
      title: 'Este enlace se ha cancelado',
      body: 'Solicita uno nuevo si todavía necesitas configurar tu aplicación de autenticación.',
    },
    locked: {
      title: 'Este enlace está bloqueado',
      body: 'Se introdujeron demasiados códigos incorrectos. Por tu seguridad, solicita un enlace nuevo para volver a intentarlo.',
    },
    already_enrolled: {
      title: 'La verificación en dos pasos ya está configurada',
      body: 'Tu cuenta ya tiene una aplicación de autenticación. Ponte en contacto con tu administrador si necesitas sustituirla.',
    },
    error: {
      title: 'Algo ha salido mal',
      body: 'No hemos podido cargar esta página. Inténtalo de nuevo dentro de un momento.',
    },
  },
};

const fr: PageText = {
  title: 'Configurer l’authentification à deux facteurs',
  heading: 'Configurez votre application d’authentification',
  greeting: 'Bienvenue, {email}.',
  greetingAnonymous: 'Bienvenue.',
  intro:
    'Ajoutez une protection supplémentaire à votre compte : scannez un code QR avec une application d’authentification comme Google Authenticator, Microsoft Authenticator, 1Password ou Authy, puis saisissez le code qu’elle affiche.',
  keyHeading: 'Configurez votre clé de sécurité ou clé d’accès',
  keyIntro: 'Ajoutez une deuxième protection à votre compte : enregistrez une clé de sécurité ou créez une clé d’accès sur cet appareil. Votre navigateur vous guidera.',
  emailHeading: 'Confirmez votre adresse e-mail pour les codes de connexion',
  emailIntro: 'Ajoutez une deuxième protection à votre compte : nous vous envoyons un code à 6 chiffres par e-mail, que vous saisissez ici. À chaque connexion, vous recevrez un nouveau code de la même façon.',
  phoneHeading: 'Configurez votre téléphone pour les codes de connexion',
  phoneIntro: 'Ajoutez une deuxième protection à votre compte : saisissez votre numéro de téléphone, nous vous envoyons un code à 6 chiffres par SMS ou par appel, que vous saisissez ici. À chaque connexion, vous recevrez un nouveau code de la même façon.',
  expires: 'Ce lien expire le {date}.',
  noscript: 'Cette page a besoin de JavaScript pour configurer votre application d’authentification. Activez-le puis rechargez la page.',
  loginUnavailable: 'La connexion avec un second facteur n’est pas disponible sur cette page.',
  messages: {
    not_found: {
      title: 'Ce lien n’est pas valide',
      body: 'Vérifiez que vous avez ouvert le lien complet reçu par e-mail. S’il ne fonctionne toujours pas, demandez-en un nouveau.',
    },
    superseded: {
      title: 'Ce lien n’est plus valide',
      body: 'Un lien plus récent a été envoyé pour cette inscription et remplace celui-ci. Utilisez le lien du dernier e-mail reçu, ou demandez-en un nouveau.',
    },
    redeemed: {
      title: 'Ce lien a déjà été utilisé',
      body: 'Votre application d’authentification a déjà été configurée avec ce lien, et chaque lien ne fonctionne qu’une fois. Si ce n’était pas vous, contactez votre administrateur.',
    },
    expired: {
      title: 'Ce lien a expiré',
      body: 'Les liens d’inscription ne sont valables que pendant une durée limitée. Demandez-en un nouveau pour configurer votre application d’authentification.',
    },
    revoked: {
      title: 'Ce lien a été annulé',
      body: 'Demandez-en un nouveau si vous devez encore configurer votre application d’authentification.',
    },
    locked: {
      title: 'Ce lien est bloqué',
      body: 'Trop de codes incorrects ont été saisis. Pour votre sécurité, demandez un nouveau lien pour réessayer.',
    },
    already_enrolled: {
      title: 'L’authentification à deux facteurs est déjà configurée',
      body: 'Votre compte dispose déjà d’une application d’authentification. Contactez votre administrateur si vous devez la remplacer.',
    },
    error: {
      title: 'Une erreur est survenue',
      body: 'Nous n’avons pas pu charger cette page. Réessayez dans un instant.',
    },
  },
};

const de: PageText = {
  title: 'Zwei-Faktor-Authentifizierung einrichten',
  heading: 'Authenticator-App einrichten',
  greeting: 'Willkommen, {email}.',
  greetingAnonymous: 'Willkommen.',
  intro:
    'Schützen Sie Ihr Konto zusätzlich: Scannen Sie einen QR-Code mit einer Authenticator-App wie Google Authenticator, Microsoft Authenticator, 1Password oder Authy und geben Sie dann den angezeigten Code ein.',
  keyHeading: 'Sicherheitsschlüssel oder Passkey einrichten',
  keyIntro: 'Schützen Sie Ihr Konto zusätzlich: Registrieren Sie einen Sicherheitsschlüssel oder erstellen Sie einen Passkey auf diesem Gerät. Ihr Browser führt Sie durch die Schritte.',
  emailHeading: 'E-Mail-Adresse für Anmeldecodes bestätigen',
  emailIntro: 'Schützen Sie Ihr Konto zusätzlich: Wir senden Ihnen einen 6-stelligen Code per E-Mail, den Sie hier eingeben. Bei der Anmeldung erhalten Sie auf dieselbe Weise einen neuen Code.',
  phoneHeading: 'Telefon für Anmeldecodes einrichten',
  phoneIntro: 'Schützen Sie Ihr Konto zusätzlich: Geben Sie Ihre Telefonnummer ein, und wir senden Ihnen einen 6-stelligen Code per SMS oder Anruf, den Sie hier eingeben. Bei der Anmeldung erhalten Sie auf dieselbe Weise einen neuen Code.',
  expires: 'Dieser Link läuft am {date} ab.',
  noscript: 'Diese Seite benötigt JavaScript, um Ihre Authenticator-App einzurichten. Bitte aktivieren Sie es und laden Sie die Seite neu.',
  loginUnavailable: 'Die Anmeldung mit einem zweiten Faktor ist auf dieser Seite nicht verfügbar.',
  messages: {
    not_found: {
      title: 'Dieser Link ist ungültig',
      body: 'Prüfen Sie, ob Sie den vollständigen Link aus Ihrer E-Mail geöffnet haben. Wenn es weiterhin nicht funktioniert, fordern Sie einen neuen an.',
    },
    superseded: {
      title: 'Dieser Link ist nicht mehr gültig',
      body: 'Für diese Einrichtung wurde ein neuerer Link gesendet, der diesen ersetzt. Verwenden Sie den Link aus der neuesten E-Mail oder fordern Sie einen neuen an.',
    },
    redeemed: {
      title: 'Dieser Link wurde bereits verwendet',
      body: 'Ihre Authenticator-App wurde mit diesem Link bereits eingerichtet, und jeder Link funktioniert nur einmal. Wenn Sie das nicht waren, wenden Sie sich an Ihren Administrator.',
    },
    expired: {
      title: 'Dieser Link ist abgelaufen',
      body: 'Einrichtungslinks sind nur begrenzte Zeit gültig. Fordern Sie einen neuen an, um Ihre Authenticator-App einzurichten.',
    },
    revoked: {
      title: 'Dieser Link wurde widerrufen',
      body: 'Fordern Sie einen neuen an, wenn Sie Ihre Authenticator-App noch einrichten müssen.',
    },
    locked: {
      title: 'Dieser Link ist gesperrt',
      body: 'Es wurden zu viele falsche Codes eingegeben. Fordern Sie zu Ihrer Sicherheit einen neuen Link an, um es erneut zu versuchen.',
    },
    already_enrolled: {
      title: 'Die Zwei-Faktor-Authentifizierung ist bereits eingerichtet',
      body: 'Für Ihr Konto ist bereits eine Authenticator-App eingerichtet. Wenden Sie sich an Ihren Administrator, wenn Sie sie ersetzen müssen.',
    },
    error: {
      title: 'Etwas ist schiefgelaufen',
      body: 'Diese Seite konnte nicht geladen werden. Bitte versuchen Sie es gleich noch einmal.',
    },
  },
};

const ptBR: PageText = {
  title: 'Configurar a autenticação em duas etapas',
  heading: 'Configure seu aplicativo autenticador',
  greeting: 'Olá, {email}.',
  greetingAnonymous: 'Olá.',
  intro:
    'Adicione uma camada extra de segurança à sua conta: escaneie um código QR com um aplicativo autenticador como Google Authenticator, Microsoft Authenticator, 1Password ou Authy e digite o código exibido.',
  keyHeading: 'Configure sua chave de segurança ou chave de acesso',
  keyIntro: 'Adicione uma segunda camada de segurança à sua conta: registre uma chave de segurança ou crie uma chave de acesso neste dispositivo. O navegador vai guiar você.',
  emailHeading: 'Confirme seu e-mail para os códigos de acesso',
  emailIntro: 'Adicione uma segunda camada de segurança à sua conta: enviaremos um código de 6 dígitos por e-mail, e você o digita aqui. Ao entrar, você receberá um novo código da mesma forma.',
  phoneHeading: 'Configure seu telefone para os códigos de acesso',
  phoneIntro: 'Adicione uma segunda camada de segurança à sua conta: informe seu número de telefone, e enviaremos um código de 6 dígitos por SMS ou ligação para você digitar aqui. Ao entrar, você receberá um novo código da mesma forma.',
  expires: 'Este link expira em {date}.',
  noscript: 'Esta página precisa de JavaScript para configurar seu aplicativo autenticador. Ative-o e recarregue a página.',
  loginUnavailable: 'O login com um segundo fator não está disponível nesta página.',
  messages: {
    not_found: {
      title: 'Este link não é válido',
      body: 'Verifique se você abriu o link completo do seu e-mail. Se ainda não funcionar, peça um novo.',
    },
    superseded: {
      title: 'Este link não é mais válido',
      body: 'Um link mais recente foi enviado para este cadastro e substitui este. Use o link do e-mail mais recente ou peça um novo.',
    },
    redeemed: {
      title: 'Este link já foi usado',
      body: 'Seu aplicativo autenticador já foi configurado com este link, e cada link funciona apenas uma vez. Se não foi você, entre em contato com o administrador.',
    },
    expired: {
      title: 'Este link expirou',
      body: 'Os links de cadastro valem por tempo limitado. Peça um novo para configurar seu aplicativo autenticador.',
    },
    revoked: {
      title: 'Este link foi cancelado',
      body: 'Peça um novo se ainda precisar configurar seu aplicativo autenticador.',
    },
    locked: {
      title: 'Este link está bloqueado',
      body: 'Foram digitados códigos incorretos demais. Para sua segurança, peça um novo link para tentar novamente.',
    },
    already_enrolled: {
      title: 'A autenticação em duas etapas já está configurada',
      body: 'Sua conta já tem um aplicativo autenticador. Entre em contato com o administrador se precisar substituí-lo.',
    },
    error: {
      title: 'Algo deu errado',
      body: 'Não foi possível carregar esta página. Tente novamente em instantes.',
    },
  },
};

export const PAGE_TEXT: Record<PageLocale, PageText> = { en, es, fr, de, 'pt-BR': ptBR };

function supported(tag: string): PageLocale | undefined {
  const lower = tag.trim().toLowerCase();
  const exact = PAGE_LOCALES.find((locale) => locale.toLowerCase() === lower);
  if (exact) return exact;
  const language = lower.split('-')[0];
  return PAGE_LOCALES.find((locale) => locale.toLowerCase().split('-')[0] === language);
}

/** Accept-Language tags by preference (`q` weights, ties in header order); `*` and q=0 are dropped. */
export function acceptedLanguages(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.tag && entry.tag !== '*' && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((entry) => entry.tag);
}

/** The ticket's `email_locale` (the admin chose it for this user) wins; then the browser's languages; then English. */
export function pageLocale(ticketLocale: string | undefined, acceptLanguage: string | undefined): PageLocale {
  for (const tag of [ticketLocale, ...acceptedLanguages(acceptLanguage)]) {
    const locale = tag ? supported(tag) : undefined;
    if (locale) return locale;
  }
  return DEFAULT_PAGE_LOCALE;
}

/** A date as people of the locale write it, in UTC (the page does not know the reader's time zone; the widget does). */
export function formatExpiry(ms: number, locale: PageLocale): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(ms) + ' UTC';
}
