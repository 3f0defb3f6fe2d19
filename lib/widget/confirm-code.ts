import { readSixDigits } from './code-field';
import type { WidgetContext } from './factor';
import { errorOf } from './http';
import { wrongCodeText } from './messages';

/** Error codes of a transaction that can no longer confirm: the widget starts a new one. */
export const RESTART = ['transaction_superseded', 'transaction_expired', 'invalid_transaction'];

/** What a factor's enrollment says around a typed code: done, not a code, started again. */
export interface ConfirmWords {
  done: string;
  format: string;
  restarted: string;
}

/**
 * Enrollment with a typed code (an authenticator app's, an emailed one): reads the field, posts `{ ticket,
 * transaction_token, code }` to `path`, and shows the result — the done screen, the attempts left, a new start when
 * the transaction can no longer confirm, or the shell's errors.
 */
export function confirmCode(ctx: WidgetContext, path: string, transactionToken: string, input: HTMLInputElement, submit: HTMLButtonElement, words: ConfirmWords): void {
  const t = ctx.t;
  const code = readSixDigits(input.value);
  if (code === undefined) return ctx.showFieldError(words.format);
  submit.disabled = true;
  input.setAttribute('aria-busy', 'true');
  ctx.status.textContent = t.verifying;
  const done = () => {
    submit.disabled = false;
    input.removeAttribute('aria-busy');
    ctx.status.textContent = '';
  };
  ctx.call(path, { ticket: ctx.ticket, transaction_token: transactionToken, code }).then(
    (result) => {
      done();
      if (result.status === 200) return ctx.showDone(result.data, words.done);
      const error = errorOf(result);
      const left = result.data.attempts_remaining;
      if (error === 'invalid_code' && typeof left === 'number') return ctx.showFieldError(wrongCodeText(t, left));
      if (error === 'invalid_code') return ctx.showFieldError(words.format);
      if (RESTART.indexOf(error as string) >= 0) return ctx.start(words.restarted);
      ctx.handleError(result, () => ctx.start());
    },
    () => {
      done();
      ctx.showFieldError(t.network);
    },
  );
}
