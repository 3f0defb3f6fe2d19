/**
 * Recovery codes on the hosted page: signing in with one instead of the listed factors, behind a link on their view
 * (the code every first enrollment shows, and the next one a recovery sign-in shows, are the shell's done screens).
 */
import { el } from '../../widget/dom';
import type { FactorUI } from '../../widget/factor';
import type { MessageTable } from '../../widget/messages';

const en = {
  useRecovery: 'Use a recovery code instead',
  recoveryTitle2: 'Enter one of your recovery codes',
  recoveryLabel: 'Recovery code',
  recoveryFormat: 'A recovery code has 24 letters and digits.',
};

type RecoveryCodeText = typeof en;

const messages: MessageTable<RecoveryCodeText> = {
  en,
  es: {
    useRecovery: 'Usar un código de recuperación',
    recoveryTitle2: 'Escribe uno de tus códigos de recuperación',
    recoveryLabel: 'Código de recuperación',
    recoveryFormat: 'Un código de recuperación tiene 24 letras y números.',
  },
  fr: {
    useRecovery: 'Utiliser plutôt un code de récupération',
    recoveryTitle2: 'Saisissez l’un de vos codes de récupération',
    recoveryLabel: 'Code de récupération',
    recoveryFormat: 'Un code de récupération compte 24 lettres et chiffres.',
  },
  de: {
    useRecovery: 'Stattdessen einen Wiederherstellungscode verwenden',
    recoveryTitle2: 'Geben Sie einen Ihrer Wiederherstellungscodes ein',
    recoveryLabel: 'Wiederherstellungscode',
    recoveryFormat: 'Ein Wiederherstellungscode hat 24 Buchstaben und Ziffern.',
  },
  'pt-BR': {
    useRecovery: 'Usar um código de recuperação',
    recoveryTitle2: 'Digite um dos seus códigos de recuperação',
    recoveryLabel: 'Código de recuperação',
    recoveryFormat: 'Um código de recuperação tem 24 letras e números.',
  },
};

export const recoveryCodeUI = {
  factors: ['recovery-code'],
  messages,
  login: {
    alternative: true,
    form: {
      field: 'recovery_code',
      state: 'login-recovery',
      input: () =>
        el('input', {
          id: 'mfa-recovery',
          name: 'recovery_code',
          className: 'mfa-code-input mfa-recovery-input',
          type: 'text',
          autocomplete: 'off',
          autocapitalize: 'characters',
          spellcheck: 'false',
          maxlength: '40',
          required: true,
          'aria-describedby': 'mfa-code-error',
        }),
      title: (t) => t.recoveryTitle2,
      label: (t) => t.recoveryLabel,
      formatError: (t) => t.recoveryFormat,
      // Typed grouped or not (`XXXX-XXXX-…`, spaces): the 24 letters and digits are the code.
      read: (typed) => {
        const code = typed.replace(/[^0-9A-Za-z]/g, '');
        return code.length === 24 ? code : undefined;
      },
    },
    label: (t) => t.useRecovery,
  },
} satisfies FactorUI<RecoveryCodeText>;
