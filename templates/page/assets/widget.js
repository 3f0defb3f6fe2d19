/*
 * The enrollment widget of the hosted page: a small, dependency-free script served by the service itself
 * (GET /enroll/assets/widget.<hash>.js), so the page needs no other origin and runs under a strict CSP.
 *
 * It starts by itself on any element with `data-mfa-widget` (options from its data-* attributes, as the default
 * template does), or is constructed by an inline script the way the seed's hosted page does:
 *   new MfaWidget({ container: 'container', ticket: '{{ ticket }}', mfaServerUrl: '{{ mfaServerUrl }}', ... })
 * (`Auth0MFAWidget` is the same constructor). It builds its DOM with textContent only: nothing it shows is parsed as HTML.
 */
(function () {
  'use strict';

  // Where this script was served from: the WebAuthn helper (webauthn.js) sits beside it and is loaded only when needed.
  var ASSET_BASE = ((document.currentScript && document.currentScript.src) || '').replace(/[^/]*$/, '');

  var MESSAGES = {
    en: {
      loading: 'Preparing your authenticator…',
      restarted: 'This setup was started again elsewhere (or took too long). Scan the new code below.',
      scanTitle: 'Scan this QR code with your authenticator app',
      qrAlt: 'QR code that adds this account to an authenticator app',
      manualHint: 'Can’t scan it? Enter this key in the app instead:',
      openApp: 'Open in an authenticator app on this device',
      copyKey: 'Copy key',
      copied: 'Copied to the clipboard.',
      codeTitle: 'Enter the 6-digit code the app shows',
      codeLabel: '6-digit code',
      submit: 'Verify and finish',
      verifying: 'Checking the code…',
      codeFormat: 'Enter the 6 digits shown in your authenticator app.',
      wrongCode: 'That code didn’t work. {n} attempts left.',
      wrongCodeOne: 'That code didn’t work. 1 attempt left.',
      doneTitle: 'You’re all set',
      doneText: 'Your authenticator app is now set up. You’ll use its codes when you sign in.',
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
      loginTitle: 'Enter the 6-digit code from your authenticator app',
      verify: 'Verify',
      useRecovery: 'Use a recovery code instead',
      useCode: 'Use your authenticator app instead',
      recoveryTitle2: 'Enter one of your recovery codes',
      recoveryLabel: 'Recovery code',
      recoveryFormat: 'A recovery code has 24 letters and digits.',
      newRecoveryTitle: 'Your new recovery code',
      newRecoveryText: 'The code you used no longer works. Save this new one somewhere safe, such as a password manager: it won’t be shown again.',
      signingIn: 'Signing you in…',
      tooMany: 'Too many wrong codes. Try again in {n} minutes.',
      challenge_not_found: 'This sign-in link isn’t valid. Go back to the app and sign in again.',
      challenge_expired: 'This sign-in request has expired. Go back to the app and sign in again.',
      challenge_accepted: 'This sign-in request was already used.',
      challenge_locked: 'Too many wrong codes: this sign-in request is locked. Go back to the app and sign in again.',
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
      loginKeyButton: 'Use security key or passkey'
    },
    es: {
      loading: 'Preparando tu autenticador…',
      restarted: 'Esta configuración se volvió a iniciar en otro lugar (o tardó demasiado). Escanea el nuevo código.',
      scanTitle: 'Escanea este código QR con tu aplicación de autenticación',
      qrAlt: 'Código QR que añade esta cuenta a una aplicación de autenticación',
      manualHint: '¿No puedes escanearlo? Escribe esta clave en la aplicación:',
      openApp: 'Abrir en una aplicación de autenticación de este dispositivo',
      copyKey: 'Copiar clave',
      copied: 'Copiado al portapapeles.',
      codeTitle: 'Escribe el código de 6 dígitos que muestra la aplicación',
      codeLabel: 'Código de 6 dígitos',
      submit: 'Verificar y terminar',
      verifying: 'Comprobando el código…',
      codeFormat: 'Escribe los 6 dígitos que muestra tu aplicación de autenticación.',
      wrongCode: 'Ese código no es válido. Te quedan {n} intentos.',
      wrongCodeOne: 'Ese código no es válido. Te queda 1 intento.',
      doneTitle: '¡Todo listo!',
      doneText: 'Tu aplicación de autenticación ya está configurada. Usarás sus códigos al iniciar sesión.',
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
      loginTitle: 'Escribe el código de 6 dígitos de tu aplicación de autenticación',
      verify: 'Verificar',
      useRecovery: 'Usar un código de recuperación',
      useCode: 'Usar la aplicación de autenticación',
      recoveryTitle2: 'Escribe uno de tus códigos de recuperación',
      recoveryLabel: 'Código de recuperación',
      recoveryFormat: 'Un código de recuperación tiene 24 letras y números.',
      newRecoveryTitle: 'Tu nuevo código de recuperación',
      newRecoveryText: 'El código que usaste ya no funciona. Guarda este nuevo en un lugar seguro, como un gestor de contraseñas: no se volverá a mostrar.',
      signingIn: 'Iniciando sesión…',
      tooMany: 'Demasiados códigos incorrectos. Inténtalo de nuevo dentro de {n} minutos.',
      challenge_not_found: 'Este enlace de inicio de sesión no es válido. Vuelve a la aplicación e inicia sesión de nuevo.',
      challenge_expired: 'Esta solicitud de inicio de sesión ha caducado. Vuelve a la aplicación e inicia sesión de nuevo.',
      challenge_accepted: 'Esta solicitud de inicio de sesión ya se utilizó.',
      challenge_locked: 'Demasiados códigos incorrectos: esta solicitud está bloqueada. Vuelve a la aplicación e inicia sesión de nuevo.',
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
      loginKeyButton: 'Usar llave de seguridad o de acceso'
    },
    fr: {
      loading: 'Préparation de votre authentificateur…',
      restarted: 'Cette configuration a été relancée ailleurs (ou a pris trop de temps). Scannez le nouveau code ci-dessous.',
      scanTitle: 'Scannez ce code QR avec votre application d’authentification',
      qrAlt: 'Code QR qui ajoute ce compte à une application d’authentification',
      manualHint: 'Impossible de le scanner ? Saisissez plutôt cette clé dans l’application :',
      openApp: 'Ouvrir dans une application d’authentification de cet appareil',
      copyKey: 'Copier la clé',
      copied: 'Copié dans le presse-papiers.',
      codeTitle: 'Saisissez le code à 6 chiffres affiché par l’application',
      codeLabel: 'Code à 6 chiffres',
      submit: 'Vérifier et terminer',
      verifying: 'Vérification du code…',
      codeFormat: 'Saisissez les 6 chiffres affichés par votre application d’authentification.',
      wrongCode: 'Ce code ne fonctionne pas. Il vous reste {n} essais.',
      wrongCodeOne: 'Ce code ne fonctionne pas. Il vous reste 1 essai.',
      doneTitle: 'C’est terminé',
      doneText: 'Votre application d’authentification est configurée. Vous utiliserez ses codes pour vous connecter.',
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
      loginTitle: 'Saisissez le code à 6 chiffres de votre application d’authentification',
      verify: 'Vérifier',
      useRecovery: 'Utiliser plutôt un code de récupération',
      useCode: 'Utiliser plutôt l’application d’authentification',
      recoveryTitle2: 'Saisissez l’un de vos codes de récupération',
      recoveryLabel: 'Code de récupération',
      recoveryFormat: 'Un code de récupération compte 24 lettres et chiffres.',
      newRecoveryTitle: 'Votre nouveau code de récupération',
      newRecoveryText: 'Le code utilisé ne fonctionne plus. Conservez ce nouveau code en lieu sûr, par exemple dans un gestionnaire de mots de passe : il ne sera plus affiché.',
      signingIn: 'Connexion en cours…',
      tooMany: 'Trop de codes incorrects. Réessayez dans {n} minutes.',
      challenge_not_found: 'Ce lien de connexion n’est pas valide. Revenez à l’application et connectez-vous à nouveau.',
      challenge_expired: 'Cette demande de connexion a expiré. Revenez à l’application et connectez-vous à nouveau.',
      challenge_accepted: 'Cette demande de connexion a déjà été utilisée.',
      challenge_locked: 'Trop de codes incorrects : cette demande est bloquée. Revenez à l’application et connectez-vous à nouveau.',
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
      loginKeyButton: 'Utiliser la clé de sécurité ou d’accès'
    },
    de: {
      loading: 'Ihr Authenticator wird vorbereitet…',
      restarted: 'Diese Einrichtung wurde anderswo neu gestartet (oder hat zu lange gedauert). Scannen Sie den neuen Code unten.',
      scanTitle: 'Scannen Sie diesen QR-Code mit Ihrer Authenticator-App',
      qrAlt: 'QR-Code, der dieses Konto zu einer Authenticator-App hinzufügt',
      manualHint: 'Scannen nicht möglich? Geben Sie stattdessen diesen Schlüssel in der App ein:',
      openApp: 'In einer Authenticator-App auf diesem Gerät öffnen',
      copyKey: 'Schlüssel kopieren',
      copied: 'In die Zwischenablage kopiert.',
      codeTitle: 'Geben Sie den 6-stelligen Code aus der App ein',
      codeLabel: '6-stelliger Code',
      submit: 'Prüfen und abschließen',
      verifying: 'Code wird geprüft…',
      codeFormat: 'Geben Sie die 6 Ziffern aus Ihrer Authenticator-App ein.',
      wrongCode: 'Dieser Code hat nicht funktioniert. Noch {n} Versuche.',
      wrongCodeOne: 'Dieser Code hat nicht funktioniert. Noch 1 Versuch.',
      doneTitle: 'Alles erledigt',
      doneText: 'Ihre Authenticator-App ist eingerichtet. Sie verwenden ihre Codes bei der Anmeldung.',
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
      loginTitle: 'Geben Sie den 6-stelligen Code aus Ihrer Authenticator-App ein',
      verify: 'Bestätigen',
      useRecovery: 'Stattdessen einen Wiederherstellungscode verwenden',
      useCode: 'Stattdessen die Authenticator-App verwenden',
      recoveryTitle2: 'Geben Sie einen Ihrer Wiederherstellungscodes ein',
      recoveryLabel: 'Wiederherstellungscode',
      recoveryFormat: 'Ein Wiederherstellungscode hat 24 Buchstaben und Ziffern.',
      newRecoveryTitle: 'Ihr neuer Wiederherstellungscode',
      newRecoveryText: 'Der verwendete Code funktioniert nicht mehr. Bewahren Sie diesen neuen sicher auf, zum Beispiel in einem Passwort-Manager: Er wird nicht noch einmal angezeigt.',
      signingIn: 'Sie werden angemeldet…',
      tooMany: 'Zu viele falsche Codes. Versuchen Sie es in {n} Minuten erneut.',
      challenge_not_found: 'Dieser Anmeldelink ist ungültig. Kehren Sie zur App zurück und melden Sie sich erneut an.',
      challenge_expired: 'Diese Anmeldeanfrage ist abgelaufen. Kehren Sie zur App zurück und melden Sie sich erneut an.',
      challenge_accepted: 'Diese Anmeldeanfrage wurde bereits verwendet.',
      challenge_locked: 'Zu viele falsche Codes: Diese Anmeldeanfrage ist gesperrt. Kehren Sie zur App zurück und melden Sie sich erneut an.',
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
      loginKeyButton: 'Sicherheitsschlüssel oder Passkey verwenden'
    },
    'pt-BR': {
      loading: 'Preparando seu autenticador…',
      restarted: 'Esta configuração foi reiniciada em outro lugar (ou demorou demais). Escaneie o novo código abaixo.',
      scanTitle: 'Escaneie este código QR com seu aplicativo autenticador',
      qrAlt: 'Código QR que adiciona esta conta a um aplicativo autenticador',
      manualHint: 'Não consegue escanear? Digite esta chave no aplicativo:',
      openApp: 'Abrir em um aplicativo autenticador deste dispositivo',
      copyKey: 'Copiar chave',
      copied: 'Copiado para a área de transferência.',
      codeTitle: 'Digite o código de 6 dígitos exibido no aplicativo',
      codeLabel: 'Código de 6 dígitos',
      submit: 'Verificar e concluir',
      verifying: 'Verificando o código…',
      codeFormat: 'Digite os 6 dígitos exibidos no seu aplicativo autenticador.',
      wrongCode: 'Esse código não funcionou. Restam {n} tentativas.',
      wrongCodeOne: 'Esse código não funcionou. Resta 1 tentativa.',
      doneTitle: 'Tudo pronto',
      doneText: 'Seu aplicativo autenticador está configurado. Você usará os códigos dele ao entrar.',
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
      loginTitle: 'Digite o código de 6 dígitos do seu aplicativo autenticador',
      verify: 'Verificar',
      useRecovery: 'Usar um código de recuperação',
      useCode: 'Usar o aplicativo autenticador',
      recoveryTitle2: 'Digite um dos seus códigos de recuperação',
      recoveryLabel: 'Código de recuperação',
      recoveryFormat: 'Um código de recuperação tem 24 letras e números.',
      newRecoveryTitle: 'Seu novo código de recuperação',
      newRecoveryText: 'O código usado não funciona mais. Guarde este novo em um lugar seguro, como um gerenciador de senhas: ele não será exibido novamente.',
      signingIn: 'Entrando…',
      tooMany: 'Códigos incorretos demais. Tente novamente em {n} minutos.',
      challenge_not_found: 'Este link de login não é válido. Volte ao aplicativo e faça login novamente.',
      challenge_expired: 'Esta solicitação de login expirou. Volte ao aplicativo e faça login novamente.',
      challenge_accepted: 'Esta solicitação de login já foi usada.',
      challenge_locked: 'Códigos incorretos demais: esta solicitação está bloqueada. Volte ao aplicativo e faça login novamente.',
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
      loginKeyButton: 'Usar chave de segurança ou de acesso'
    }
  };

  /** Error codes of a transaction that can no longer confirm: the widget starts a new one (a new secret). */
  var RESTART = ['transaction_superseded', 'transaction_expired', 'invalid_transaction'];

  /** Error codes that end the flow: the widget then says why and offers nothing more. */
  var FINAL = [
    'ticket_not_found', 'ticket_superseded', 'ticket_redeemed', 'ticket_expired', 'ticket_revoked', 'ticket_locked', 'already_enrolled',
    'challenge_not_found', 'challenge_expired', 'challenge_accepted', 'challenge_locked'
  ];

  function pickMessages(locale) {
    var tags = [locale, document.documentElement.lang].concat(navigator.languages || [navigator.language]);
    for (var i = 0; i < tags.length; i++) {
      var tag = String(tags[i] || '').toLowerCase();
      if (!tag) continue;
      for (var key in MESSAGES) if (key.toLowerCase() === tag) return MESSAGES[key];
      for (var key2 in MESSAGES) if (key2.toLowerCase().split('-')[0] === tag.split('-')[0]) return MESSAGES[key2];
    }
    return MESSAGES.en;
  }

  /**
   * Values a template wrote into a <script> arrive HTML-escaped (the page escapes every variable for every context,
   * and entities are not decoded inside scripts). Undo exactly that encoding.
   */
  function decode(value) {
    if (value === undefined || value === null) return '';
    return String(value).replace(/&(?:#(\d{1,7})|amp);/g, function (_, code) {
      return code ? String.fromCodePoint(Number(code)) : '&';
    });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var name in attrs) {
        var value = attrs[name];
        if (value === undefined || value === null || value === false) continue;
        if (name === 'text') node.textContent = value;
        else if (name === 'className') node.className = value;
        else node.setAttribute(name, value === true ? '' : value);
      }
    }
    (children || []).forEach(function (child) {
      if (child) node.appendChild(child);
    });
    return node;
  }

  function checkIcon() {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('class', 'mfa-done-icon');
    var path = document.createElementNS(ns, 'path');
    path.setAttribute('d', 'M5 12.5l4.5 4.5L19 7.5');
    svg.appendChild(path);
    return svg;
  }

  /** A recovery code as people copy it: `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX` (the APIs answer the bare 24 characters). */
  function groupCode(code) {
    return String(code || '').replace(/[^0-9A-Za-z]/g, '').replace(/(.{4})(?=.)/g, '$1-');
  }

  function isHttpUrl(url) {
    try {
      var parsed = new URL(url, location.href);
      return parsed.protocol === 'https:' || parsed.protocol === 'http:';
    } catch (e) {
      return false;
    }
  }

  function MfaWidget(options) {
    if (!(this instanceof MfaWidget)) return new MfaWidget(options);
    options = options || {};
    var container = typeof options.container === 'string' ? document.getElementById(options.container) : options.container;
    if (!container) throw new Error('MfaWidget: container not found');
    var fromScript = !options.fromDataset;
    var read = function (value) {
      return fromScript ? decode(value) : value || '';
    };
    this.container = container;
    this.ticket = read(options.ticket);
    this.requestToken = read(options.requestToken);
    this.serverUrl = read(options.mfaServerUrl).replace(/\/+$/, '');
    this.postActionURL = read(options.postActionURL);
    // The ticket's factor, or in login mode the challenge's factors (space-separated): which ceremonies to offer.
    this.factors = read(options.factor).split(/[\s,]+/).filter(Boolean);
    this.trackingId = read(options.globalTrackingId);
    this.requesterErrors = (options.requesterErrors || []).map(function (e) {
      return read(e && e.message);
    });
    this.t = pickMessages(read(options.locale));
    container.setAttribute('data-mfa-widget-ready', '');
    this.render();
  }

  MfaWidget.prototype.render = function () {
    this.container.textContent = '';
    this.root = el('div', { className: 'mfa-widget', 'data-state': 'loading' });
    this.status = el('p', { className: 'mfa-status', role: 'status', 'aria-live': 'polite' });
    this.errors = el(
      'div',
      { className: 'mfa-requester-errors' },
      this.requesterErrors.filter(Boolean).map(function (message) {
        return el('p', { className: 'mfa-error', role: 'alert', text: message });
      })
    );
    this.body = el('div', { className: 'mfa-body' });
    this.root.appendChild(this.errors);
    this.root.appendChild(this.body);
    this.root.appendChild(this.status);
    this.container.appendChild(this.root);
    if (this.ticket) return this.start();
    if (this.requestToken) return this.showLogin(false);
    this.showEnded('loginUnavailable');
  };

  MfaWidget.prototype.call = function (path, body) {
    return fetch(this.serverUrl + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer'
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          return { status: response.status, data: data || {} };
        });
    });
  };

  MfaWidget.prototype.setState = function (state) {
    this.root.setAttribute('data-state', state);
  };

  MfaWidget.prototype.start = function (notice) {
    var self = this;
    // The transaction of this start: only it can confirm the secret shown. Kept in memory only, never in the page.
    this.transactionToken = '';
    this.setState('loading');
    this.body.textContent = '';
    this.body.appendChild(el('p', { className: 'mfa-loading', text: this.t.loading }));
    this.call('/enroll/start', { ticket: this.ticket }).then(
      function (result) {
        if (result.status === 200 && /^webauthn-/.test(String(result.data.factor))) return self.showKeyEnroll(result.data, notice);
        if (result.status === 200) {
          self.transactionToken = String(result.data.transaction_token || '');
          self.showEnroll(result.data);
          if (notice) self.showFieldError(notice);
          return;
        }
        self.handleError(result, function () {
          self.start();
        });
      },
      function () {
        self.showRetry(function () {
          self.start();
        });
      }
    );
  };

  MfaWidget.prototype.handleError = function (result, retry) {
    var code = result.data && result.data.error;
    if (FINAL.indexOf(code) >= 0) return this.showEnded(code);
    if (result.status >= 500 || result.status === 0) return this.showRetry(retry, this.t.failed);
    return this.showEnded('failed');
  };

  MfaWidget.prototype.showRetry = function (retry, message) {
    var self = this;
    this.setState('retry');
    this.body.textContent = '';
    var button = el('button', { type: 'button', className: 'mfa-button', text: this.t.retry });
    button.addEventListener('click', retry);
    this.body.appendChild(el('div', { className: 'mfa-ended', role: 'alert' }, [el('p', { text: message || self.t.network }), button]));
  };

  MfaWidget.prototype.showEnded = function (code) {
    this.setState('ended');
    this.body.textContent = '';
    var note = el('p', { className: 'mfa-ended', role: 'alert', 'data-code': code, text: this.t[code] || this.t.failed });
    this.body.appendChild(note);
  };

  MfaWidget.prototype.showEnroll = function (data) {
    var self = this;
    var t = this.t;
    this.setState('enroll');
    this.body.textContent = '';
    var key = String(data.secret || '').replace(/(.{4})(?=.)/g, '$1 ');

    var copyKey = el('button', { type: 'button', className: 'mfa-link-button', text: t.copyKey });
    copyKey.addEventListener('click', function () {
      self.copy(String(data.secret || ''));
    });
    var scan = el('li', { className: 'mfa-step' }, [
      el('h2', { className: 'mfa-step-title', text: t.scanTitle }),
      el('div', { className: 'mfa-qr' }, [el('img', { src: data.qr_code, alt: t.qrAlt, width: '200', height: '200' })]),
      el('p', { className: 'mfa-hint', id: 'mfa-key-hint', text: t.manualHint }),
      el('div', { className: 'mfa-key' }, [
        el('code', { 'data-testid': 'manual-key', 'aria-describedby': 'mfa-key-hint', text: key }),
        copyKey
      ]),
      /^otpauth:\/\//.test(data.otpauth_uri || '') ? el('a', { className: 'mfa-open-app', href: data.otpauth_uri, text: t.openApp }) : null
    ]);

    this.input = el('input', {
      id: 'mfa-code',
      name: 'code',
      className: 'mfa-code-input',
      type: 'text',
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
      pattern: '[0-9 ]*',
      maxlength: '7',
      spellcheck: 'false',
      required: true,
      'aria-describedby': 'mfa-code-error'
    });
    this.fieldError = el('p', { id: 'mfa-code-error', className: 'mfa-field-error', role: 'alert' });
    this.submit = el('button', { type: 'submit', className: 'mfa-button', text: t.submit });
    var form = el('form', { className: 'mfa-form', novalidate: true }, [
      el('label', { for: 'mfa-code', className: 'mfa-label', text: t.codeLabel }),
      this.input,
      this.fieldError,
      this.submit
    ]);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      self.confirm();
    });
    var enter = el('li', { className: 'mfa-step' }, [el('h2', { className: 'mfa-step-title', text: t.codeTitle }), form]);
    this.body.appendChild(el('ol', { className: 'mfa-steps' }, [scan, enter]));
  };

  MfaWidget.prototype.showFieldError = function (message) {
    this.fieldError.textContent = '';
    this.input.setAttribute('aria-invalid', 'true');
    var self = this;
    // Emptied then filled on the next frame, so screen readers announce the same message again.
    setTimeout(function () {
      self.fieldError.textContent = message;
    }, 50);
    this.input.focus();
    this.input.select();
  };

  MfaWidget.prototype.confirm = function () {
    var self = this;
    var code = this.input.value.replace(/[\s-]/g, '');
    if (!/^\d{6}$/.test(code)) return this.showFieldError(this.t.codeFormat);
    this.submit.disabled = true;
    this.input.setAttribute('aria-busy', 'true');
    this.status.textContent = this.t.verifying;
    this.call('/enroll/confirm', { ticket: this.ticket, transaction_token: this.transactionToken, code: code }).then(
      function (result) {
        self.submit.disabled = false;
        self.input.removeAttribute('aria-busy');
        self.status.textContent = '';
        if (result.status === 200) return self.showDone(result.data);
        var error = result.data && result.data.error;
        if (error === 'invalid_code' && typeof result.data.attempts_remaining === 'number') {
          var left = result.data.attempts_remaining;
          return self.showFieldError(left === 1 ? self.t.wrongCodeOne : self.t.wrongCode.replace('{n}', String(left)));
        }
        if (error === 'invalid_code') return self.showFieldError(self.t.codeFormat);
        if (RESTART.indexOf(error) >= 0) return self.start(self.t.restarted);
        self.handleError(result, function () {
          self.start();
        });
      },
      function () {
        self.submit.disabled = false;
        self.input.removeAttribute('aria-busy');
        self.status.textContent = '';
        self.showFieldError(self.t.network);
      }
    );
  };

  MfaWidget.prototype.showDone = function (data) {
    var self = this;
    var t = this.t;
    this.setState('done');
    this.body.textContent = '';
    var heading = el('h2', { className: 'mfa-done-title', tabindex: '-1', text: t.doneTitle });
    var copyCode = el('button', { type: 'button', className: 'mfa-link-button', text: t.copyCode });
    copyCode.addEventListener('click', function () {
      self.copy(String(data.recovery_code || ''));
    });
    var children = [
      checkIcon(),
      heading,
      el('p', { text: this.keyFactor ? t.keyDoneText : t.doneText }),
      el('section', { className: 'mfa-recovery', 'aria-labelledby': 'mfa-recovery-title' }, [
        el('h3', { id: 'mfa-recovery-title', text: t.recoveryTitle }),
        el('p', { text: t.recoveryText }),
        el('div', { className: 'mfa-key mfa-recovery-code' }, [el('code', { 'data-testid': 'recovery-code', text: groupCode(data.recovery_code) }), copyCode])
      ])
    ];
    var redirect = data.redirect_url || this.postActionURL;
    if (redirect && isHttpUrl(redirect)) {
      var saved = el('input', { type: 'checkbox', id: 'mfa-saved' });
      var next = el('button', { type: 'button', className: 'mfa-button', disabled: true, text: t.continue });
      saved.addEventListener('change', function () {
        next.disabled = !saved.checked;
      });
      next.addEventListener('click', function () {
        location.assign(redirect);
      });
      children.push(el('label', { className: 'mfa-check', for: 'mfa-saved' }, [saved, el('span', { text: t.savedIt })]));
      children.push(next);
    } else {
      children.push(el('p', { className: 'mfa-hint', text: t.closePage }));
    }
    this.body.appendChild(el('div', { className: 'mfa-done' }, children));
    heading.focus();
  };

  /**
   * Login mode (`requestToken` set): a code field, or a recovery code field behind "Use a recovery code instead".
   * A right answer comes back as `signature`, which is form-POSTed to postActionURL (with `state`) exactly as the
   * vendor's formPostHelper does; after a recovery code, the new one is shown once first.
   */
  MfaWidget.prototype.showLogin = function (recovery) {
    var self = this;
    var t = this.t;
    this.recovery = recovery;
    this.setState(recovery ? 'login-recovery' : 'login');
    this.body.textContent = '';
    this.input = recovery
      ? el('input', {
          id: 'mfa-recovery', name: 'recovery_code', className: 'mfa-code-input mfa-recovery-input', type: 'text',
          autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', maxlength: '40', required: true,
          'aria-describedby': 'mfa-code-error'
        })
      : el('input', {
          id: 'mfa-code', name: 'code', className: 'mfa-code-input', type: 'text', inputmode: 'numeric',
          autocomplete: 'one-time-code', pattern: '[0-9 ]*', maxlength: '7', spellcheck: 'false', required: true,
          'aria-describedby': 'mfa-code-error'
        });
    this.fieldError = el('p', { id: 'mfa-code-error', className: 'mfa-field-error', role: 'alert' });
    this.submit = el('button', { type: 'submit', className: 'mfa-button', text: t.verify });
    var form = el('form', { className: 'mfa-form', novalidate: true }, [
      el('label', { for: this.input.id, className: 'mfa-label', text: recovery ? t.recoveryLabel : t.codeLabel }),
      this.input,
      this.fieldError,
      this.submit
    ]);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      self.verifyLogin();
    });
    var hasKey = this.factors.some(function (f) {
      return /^webauthn-/.test(f);
    });
    var hasCode = !hasKey || this.factors.indexOf('otp') >= 0;
    var toggle = el('button', { type: 'button', className: 'mfa-link-button mfa-toggle', text: recovery ? (hasCode ? t.useCode : t.useKey) : t.useRecovery });
    toggle.addEventListener('click', function () {
      self.showLogin(!recovery);
    });
    if (!recovery && hasKey) {
      var keyButton = el('button', { type: 'button', className: 'mfa-button', 'data-testid': 'use-key', text: t.loginKeyButton });
      keyButton.addEventListener('click', function () {
        self.loginWithKey(keyButton);
      });
      this.body.appendChild(el('div', { className: 'mfa-step' }, [el('h2', { className: 'mfa-step-title', text: t.loginKeyTitle }), keyButton]));
      this.keyButton = keyButton;
    }
    if (recovery || hasCode) {
      this.body.appendChild(
        el('div', { className: 'mfa-step' }, [el('h2', { className: 'mfa-step-title', text: recovery ? t.recoveryTitle2 : t.loginTitle }), form, toggle])
      );
      this.input.focus();
    } else {
      // Only keys: the error line and the way to a recovery code still belong on the page.
      this.body.appendChild(el('div', { className: 'mfa-step' }, [this.fieldError, toggle]));
    }
  };

  MfaWidget.prototype.verifyLogin = function () {
    var self = this;
    var body = { request_token: this.requestToken };
    if (this.recovery) {
      var code = this.input.value.replace(/[^0-9A-Za-z]/g, '');
      if (code.length !== 24) return this.showFieldError(this.t.recoveryFormat);
      body.recovery_code = code;
    } else {
      var otp = this.input.value.replace(/[\s-]/g, '');
      if (!/^\d{6}$/.test(otp)) return this.showFieldError(this.t.codeFormat);
      body.code = otp;
    }
    this.submit.disabled = true;
    this.input.setAttribute('aria-busy', 'true');
    this.status.textContent = this.t.verifying;
    var done = function () {
      self.submit.disabled = false;
      self.input.removeAttribute('aria-busy');
      self.status.textContent = '';
    };
    this.call('/mfa/verify', body).then(
      function (result) {
        done();
        if (result.status === 200) return self.loginSucceeded(result.data);
        var data = result.data || {};
        if (data.error === 'invalid_code' && typeof data.attempts_remaining === 'number') {
          var left = data.attempts_remaining;
          return self.showFieldError(left === 1 ? self.t.wrongCodeOne : self.t.wrongCode.replace('{n}', String(left)));
        }
        if (data.error === 'too_many_attempts') {
          var minutes = Math.max(1, Math.ceil(Number(data.retry_after_sec || 60) / 60));
          return self.showFieldError(self.t.tooMany.replace('{n}', String(minutes)));
        }
        if (result.status === 400) return self.showFieldError(self.recovery ? self.t.recoveryFormat : self.t.codeFormat);
        self.handleError(result, function () {
          self.showLogin(self.recovery);
        });
      },
      function () {
        done();
        self.showFieldError(self.t.network);
      }
    );
  };

  MfaWidget.prototype.loginSucceeded = function (data) {
    var self = this;
    var t = this.t;
    var target = data.post_action_url || this.postActionURL;
    var post = function () {
      self.setState('posting');
      self.body.textContent = '';
      self.body.appendChild(el('p', { className: 'mfa-loading', text: t.signingIn }));
      var fields = { signature: data.signature };
      if (data.state !== undefined && data.state !== null) fields.state = data.state;
      formPost(target, fields);
    };
    if (!data.recovery_code) return post();
    this.setState('new-recovery-code');
    this.body.textContent = '';
    var heading = el('h2', { className: 'mfa-done-title', tabindex: '-1', text: t.newRecoveryTitle });
    var copyCode = el('button', { type: 'button', className: 'mfa-link-button', text: t.copyCode });
    copyCode.addEventListener('click', function () {
      self.copy(groupCode(data.recovery_code));
    });
    var saved = el('input', { type: 'checkbox', id: 'mfa-saved' });
    var next = el('button', { type: 'button', className: 'mfa-button', disabled: true, text: t.continue });
    saved.addEventListener('change', function () {
      next.disabled = !saved.checked;
    });
    next.addEventListener('click', post);
    this.body.appendChild(
      el('div', { className: 'mfa-done' }, [
        heading,
        el('section', { className: 'mfa-recovery', 'aria-labelledby': 'mfa-recovery-title' }, [
          el('p', { id: 'mfa-recovery-title', text: t.newRecoveryText }),
          el('div', { className: 'mfa-key mfa-recovery-code' }, [el('code', { 'data-testid': 'recovery-code', text: groupCode(data.recovery_code) }), copyCode])
        ]),
        el('label', { className: 'mfa-check', for: 'mfa-saved' }, [saved, el('span', { text: t.savedIt })]),
        next
      ])
    );
    heading.focus();
  };

  /** The WebAuthn helper (@simplewebauthn/browser, served by us beside this script), loaded once, on first use. */
  var webauthnLoading;
  function loadWebauthn() {
    if (window.SimpleWebAuthnBrowser) return Promise.resolve(window.SimpleWebAuthnBrowser);
    webauthnLoading =
      webauthnLoading ||
      new Promise(function (resolve, reject) {
        var script = document.createElement('script');
        script.src = ASSET_BASE + 'webauthn.js';
        script.onload = function () {
          if (window.SimpleWebAuthnBrowser) resolve(window.SimpleWebAuthnBrowser);
          else reject(new Error('webauthn helper missing'));
        };
        script.onerror = function () {
          webauthnLoading = undefined;
          reject(new Error('webauthn helper not loaded'));
        };
        document.head.appendChild(script);
      });
    return webauthnLoading;
  }

  var UNSUPPORTED = [
    'ERROR_AUTHENTICATOR_MISSING_DISCOVERABLE_CREDENTIAL_SUPPORT',
    'ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT',
    'ERROR_AUTHENTICATOR_NO_SUPPORTED_PUBKEYCREDPARAMS_ALG'
  ];

  /** The plain-words message of a failed browser ceremony: timeout, cancel, already registered, missing capability. */
  function keyMessage(t, err, startedAt, timeoutMs) {
    var code = err && err.code;
    var name = err && err.name;
    if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') return t.keyRegistered;
    if (UNSUPPORTED.indexOf(code) >= 0 || name === 'NotSupportedError') return t.keyUnsupported;
    // The browser reports a timeout and a cancelled prompt alike (NotAllowedError): the time taken tells them apart.
    if (name === 'NotAllowedError' || code === 'ERROR_CEREMONY_ABORTED') {
      return Date.now() - startedAt >= Math.max(0, (timeoutMs || 0) - 2000) && timeoutMs ? t.keyTimeout : t.keyCancelled;
    }
    return t.keyFailed;
  }

  /** Whether this browser can run the ceremony at all, and for a passkey, verify the user on this device. */
  function keyCapable(platform) {
    if (!window.PublicKeyCredential || !navigator.credentials) return Promise.resolve(false);
    if (!platform) return Promise.resolve(true);
    if (typeof PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable !== 'function') return Promise.resolve(false);
    return PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable().catch(function () {
      return false;
    });
  }

  MfaWidget.prototype.keyNotice = function (message) {
    var self = this;
    this.fieldError.textContent = '';
    setTimeout(function () {
      self.fieldError.textContent = message;
    }, 50);
  };

  /** Enrollment of a security key or passkey: one button that runs the browser's registration ceremony. */
  MfaWidget.prototype.showKeyEnroll = function (data, notice) {
    var self = this;
    var t = this.t;
    var platform = data.factor === 'webauthn-platform';
    this.keyFactor = data.factor;
    this.setState('enroll-key');
    this.body.textContent = '';
    this.fieldError = el('p', { id: 'mfa-code-error', className: 'mfa-field-error', role: 'alert' });
    var button = el('button', { type: 'button', className: 'mfa-button', 'data-testid': 'register-key', text: platform ? t.passkeyButton : t.keyButton });
    button.addEventListener('click', function () {
      self.registerKey(data, button);
    });
    this.body.appendChild(
      el('div', { className: 'mfa-step' }, [
        el('h2', { className: 'mfa-step-title', text: platform ? t.passkeyTitle : t.keyTitle }),
        el('p', { className: 'mfa-hint', text: platform ? t.passkeyText : t.keyText }),
        this.fieldError,
        button
      ])
    );
    if (notice) this.keyNotice(notice);
  };

  MfaWidget.prototype.registerKey = function (data, button) {
    var self = this;
    var t = this.t;
    var options = data.public_key || {};
    var startedAt = Date.now();
    button.disabled = true;
    this.status.textContent = t.keyWaiting;
    var finish = function (message) {
      button.disabled = false;
      self.status.textContent = '';
      if (message) self.keyNotice(message);
    };
    keyCapable(data.factor === 'webauthn-platform')
      .then(function (capable) {
        if (!capable) return finish(t.keyUnsupported);
        return loadWebauthn().then(function (lib) {
          startedAt = Date.now();
          return lib.startRegistration({ optionsJSON: options }).then(
            function (credential) {
              return self.call('/enroll/webauthn', { ticket: self.ticket, credential: credential }).then(function (result) {
                finish();
                if (result.status === 200) return self.showDone(result.data);
                var error = result.data && result.data.error;
                if (error === 'credential_already_registered') return self.keyNotice(t.keyRegistered);
                if (error === 'ceremony_expired') return self.start(t.keyTimeout);
                if (error === 'invalid_credential') return self.keyNotice(t.keyFailed);
                self.handleError(result, function () {
                  self.start();
                });
              });
            },
            function (err) {
              finish(keyMessage(t, err, startedAt, options.timeout));
            }
          );
        });
      })
      .catch(function () {
        finish(t.network);
      });
  };

  /** Login with a security key or passkey: options for this challenge, the browser's ceremony, then the check. */
  MfaWidget.prototype.loginWithKey = function (button) {
    var self = this;
    var t = this.t;
    var startedAt = Date.now();
    var timeoutMs = 0;
    button.disabled = true;
    this.status.textContent = t.keyWaiting;
    var finish = function (message) {
      button.disabled = false;
      self.status.textContent = '';
      if (message) self.keyNotice(message);
    };
    var failed = function (result) {
      finish();
      var data = result.data || {};
      if (data.error === 'invalid_code') return self.keyNotice(t.keyFailed);
      if (data.error === 'too_many_attempts') {
        var minutes = Math.max(1, Math.ceil(Number(data.retry_after_sec || 60) / 60));
        return self.keyNotice(t.tooMany.replace('{n}', String(minutes)));
      }
      self.handleError(result, function () {
        self.showLogin(false);
      });
    };
    keyCapable(false)
      .then(function (capable) {
        if (!capable) return finish(t.keyUnsupported);
        return Promise.all([loadWebauthn(), self.call('/mfa/webauthn/options', { request_token: self.requestToken })]).then(function (loaded) {
          var lib = loaded[0];
          var options = loaded[1];
          if (options.status !== 200) return failed(options);
          timeoutMs = options.data.public_key && options.data.public_key.timeout;
          startedAt = Date.now();
          return lib.startAuthentication({ optionsJSON: options.data.public_key }).then(
            function (credential) {
              return self.call('/mfa/webauthn', { request_token: self.requestToken, credential: credential }).then(function (result) {
                if (result.status === 200) {
                  finish();
                  return self.loginSucceeded(result.data);
                }
                failed(result);
              });
            },
            function (err) {
              finish(keyMessage(t, err, startedAt, timeoutMs));
            }
          );
        });
      })
      .catch(function () {
        finish(t.network);
      });
  };

  /** What the vendor's formPostHelper(postActionURL, fields) does: a hidden-field form POSTed from the top window. */
  function formPost(url, fields) {
    if (!isHttpUrl(url)) return;
    var form = document.createElement('form');
    form.method = 'POST';
    form.action = url;
    for (var name in fields) {
      var input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    }
    document.body.appendChild(form);
    form.submit();
  }

  MfaWidget.prototype.copy = function (text) {
    var self = this;
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () {
        self.status.textContent = self.t.copied;
      });
    }
  };

  /** `<div data-mfa-widget data-ticket="…" data-mfa-server-url="…" …>`: the default template's way, no inline script. */
  function autoStart() {
    var nodes = document.querySelectorAll('[data-mfa-widget]:not([data-mfa-widget-ready])');
    for (var i = 0; i < nodes.length; i++) {
      var d = nodes[i].dataset;
      new MfaWidget({
        container: nodes[i],
        fromDataset: true,
        ticket: d.ticket,
        requestToken: d.requestToken,
        mfaServerUrl: d.mfaServerUrl || location.origin,
        postActionURL: d.postActionUrl,
        factor: d.factor,
        globalTrackingId: d.globalTrackingId,
        locale: d.locale
      });
    }
  }

  /** The widget's words by locale: add a locale or change a phrase from your own script before the widget starts. */
  MfaWidget.messages = MESSAGES;
  MfaWidget.decode = decode;
  window.MfaWidget = MfaWidget;
  window.Auth0MFAWidget = MfaWidget;
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', autoStart);
  else autoStart();
})();
