import type { PageLocale } from '../enrollment/messages';

/**
 * The hosted page's words in login mode (the enrollment page's are in lib/enrollment/messages.ts), in the same five
 * locales. The widget's own words (code field, recovery code, errors) travel with the widget script.
 */
export type LoginMessageKind = 'not_found' | 'expired' | 'accepted' | 'locked' | 'error';

export interface LoginPageText {
  title: string;
  heading: string;
  intro: string;
  /** `{date}` is replaced. */
  expires: string;
  noscript: string;
  messages: Record<LoginMessageKind, { title: string; body: string }>;
}

export const LOGIN_TEXT: Record<PageLocale, LoginPageText> = {
  en: {
    title: 'Two-step verification',
    heading: 'Welcome back',
    intro: 'Authenticate below: enter the code your authenticator app shows.',
    expires: 'This sign-in request expires on {date}.',
    noscript: 'This page needs JavaScript to check your code. Please turn it on and reload the page.',
    messages: {
      not_found: { title: 'This sign-in link isn’t valid', body: 'Go back to the app and sign in again.' },
      expired: { title: 'This sign-in request has expired', body: 'Sign-in requests work for a few minutes only. Go back to the app and sign in again.' },
      accepted: { title: 'This sign-in request was already used', body: 'Each sign-in request works once. Go back to the app; if that wasn’t you, contact your administrator.' },
      locked: { title: 'This sign-in request is locked', body: 'Too many wrong codes were entered. Go back to the app and sign in again.' },
      error: { title: 'Something went wrong', body: 'We couldn’t load this page. Please try again in a moment.' },
    },
  },
  es: {
    title: 'Verificación en dos pasos',
    heading: 'Hola de nuevo',
    intro: 'Verifica tu identidad: escribe el código que muestra tu aplicación de autenticación.',
    expires: 'Esta solicitud de inicio de sesión caduca el {date}.',
    noscript: 'Esta página necesita JavaScript para comprobar tu código. Actívalo y vuelve a cargar la página.',
    messages: {
      not_found: { title: 'Este enlace de inicio de sesión no es válido', body: 'Vuelve a la aplicación e inicia sesión de nuevo.' },
      expired: { title: 'Esta solicitud de inicio de sesión ha caducado', body: 'Las solicitudes de inicio de sesión solo duran unos minutos. Vuelve a la aplicación e inicia sesión de nuevo.' },
      accepted: { title: 'Esta solicitud de inicio de sesión ya se utilizó', body: 'Cada solicitud funciona una sola vez. Vuelve a la aplicación; si no fuiste tú, ponte en contacto con tu administrador.' },
      locked: { title: 'Esta solicitud de inicio de sesión está bloqueada', body: 'Se introdujeron demasiados códigos incorrectos. Vuelve a la aplicación e inicia sesión de nuevo.' },
      error: { title: 'Algo ha salido mal', body: 'No hemos podido cargar esta página. Inténtalo de nuevo dentro de un momento.' },
    },
  },
  fr: {
    title: 'Vérification en deux étapes',
    heading: 'Bon retour parmi nous',
    intro: 'Authentifiez-vous : saisissez le code affiché par votre application d’authentification.',
    expires: 'Cette demande de connexion expire le {date}.',
    noscript: 'Cette page a besoin de JavaScript pour vérifier votre code. Activez-le puis rechargez la page.',
    messages: {
      not_found: { title: 'Ce lien de connexion n’est pas valide', body: 'Revenez à l’application et connectez-vous à nouveau.' },
      expired: { title: 'Cette demande de connexion a expiré', body: 'Les demandes de connexion ne durent que quelques minutes. Revenez à l’application et connectez-vous à nouveau.' },
      accepted: { title: 'Cette demande de connexion a déjà été utilisée', body: 'Chaque demande ne fonctionne qu’une fois. Revenez à l’application ; si ce n’était pas vous, contactez votre administrateur.' },
      locked: { title: 'Cette demande de connexion est bloquée', body: 'Trop de codes incorrects ont été saisis. Revenez à l’application et connectez-vous à nouveau.' },
      error: { title: 'Une erreur est survenue', body: 'Impossible de charger cette page. Réessayez dans un instant.' },
    },
  },
  de: {
    title: 'Bestätigung in zwei Schritten',
    heading: 'Willkommen zurück',
    intro: 'Bestätigen Sie Ihre Anmeldung: Geben Sie den Code aus Ihrer Authenticator-App ein.',
    expires: 'Diese Anmeldeanfrage läuft am {date} ab.',
    noscript: 'Diese Seite benötigt JavaScript, um Ihren Code zu prüfen. Bitte aktivieren Sie es und laden Sie die Seite neu.',
    messages: {
      not_found: { title: 'Dieser Anmeldelink ist ungültig', body: 'Kehren Sie zur App zurück und melden Sie sich erneut an.' },
      expired: { title: 'Diese Anmeldeanfrage ist abgelaufen', body: 'Anmeldeanfragen gelten nur wenige Minuten. Kehren Sie zur App zurück und melden Sie sich erneut an.' },
      accepted: { title: 'Diese Anmeldeanfrage wurde bereits verwendet', body: 'Jede Anfrage funktioniert nur einmal. Kehren Sie zur App zurück; wenn Sie das nicht waren, wenden Sie sich an Ihren Administrator.' },
      locked: { title: 'Diese Anmeldeanfrage ist gesperrt', body: 'Es wurden zu viele falsche Codes eingegeben. Kehren Sie zur App zurück und melden Sie sich erneut an.' },
      error: { title: 'Etwas ist schiefgelaufen', body: 'Diese Seite konnte nicht geladen werden. Bitte versuchen Sie es gleich noch einmal.' },
    },
  },
  'pt-BR': {
    title: 'Verificação em duas etapas',
    heading: 'Bem-vindo de volta',
    intro: 'Confirme sua identidade: digite o código exibido no seu aplicativo autenticador.',
    expires: 'Esta solicitação de login expira em {date}.',
    noscript: 'Esta página precisa de JavaScript para verificar seu código. Ative-o e recarregue a página.',
    messages: {
      not_found: { title: 'Este link de login não é válido', body: 'Volte ao aplicativo e faça login novamente.' },
      expired: { title: 'Esta solicitação de login expirou', body: 'As solicitações de login valem só por alguns minutos. Volte ao aplicativo e faça login novamente.' },
      accepted: { title: 'Esta solicitação de login já foi usada', body: 'Cada solicitação funciona uma única vez. Volte ao aplicativo; se não foi você, entre em contato com o administrador.' },
      locked: { title: 'Esta solicitação de login está bloqueada', body: 'Foram digitados códigos incorretos demais. Volte ao aplicativo e faça login novamente.' },
      error: { title: 'Algo deu errado', body: 'Não foi possível carregar esta página. Tente novamente em instantes.' },
    },
  },
};
