import { el } from './dom';

/**
 * The 6-digit code field every factor with a code uses (an authenticator app's, an emailed one): numeric keyboard,
 * the browser's one-time-code autofill, and the error line as its description. `name` is the field the code is
 * posted as.
 */
export const sixDigitInput = (id = 'mfa-code', name = 'code') =>
  el('input', {
    id,
    name,
    className: 'mfa-code-input',
    type: 'text',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '[0-9 ]*',
    maxlength: '7',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'mfa-code-error',
  });

/** A code as typed (spaces and dashes allowed), or undefined unless it is 6 digits. */
export const readSixDigits = (typed: string): string | undefined => {
  const code = typed.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(code) ? code : undefined;
};
