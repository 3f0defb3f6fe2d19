/**
 * Enrolling a factor that sends a code (by email, text or call): the factor's own fields, then a "Send code" button —
 * the only thing that sends (POST /enroll/<factor>/send), so a scanner that runs the page sends nothing — then the
 * code, confirmed with POST /enroll/<factor>/confirm; a new code once the cooldown the answer gives
 * (`retry_after_sec`) has passed, counted down on the button.
 */
import { sixDigitInput } from './code-field';
import { confirmCode, RESTART } from './confirm-code';
import { el } from './dom';
import type { WidgetContext } from './factor';
import { errorOf, type Answer, type CallResult } from './http';

/** The factor's words for each part of the view. */
export interface SentCodeEnrollWords {
  title: string;
  send: string;
  resend: string;
  /** The button while it waits: `{n}` the seconds left. */
  resendIn: string;
  sending: string;
  /** Where the code went (masked, from the answer's `sent_to`). */
  sent(to: string): string;
  noMore: string;
  rejected: string;
  unavailable: string;
  codeTitle: string;
  codeLabel: string;
  submit: string;
  codeFormat: string;
  restarted: string;
  done: string;
}

export interface SentCodeEnroll {
  /** The routes' segment (POST /enroll/<name>/send and /confirm), and its refusals' prefix (`<name>_rejected`, `<name>_unavailable`). */
  name: string;
  words: SentCodeEnrollWords;
  /** Above the send button: where the code will go (a masked address, a field, a choice of channel). */
  fields: ReadonlyArray<Node | null>;
  /** The field the user types where the code goes, if any: focused first, marked when refused, read-only once sent. */
  input?: HTMLInputElement;
  /** The send's own body fields, or undefined once it has said on the page what is wrong. */
  read(): Record<string, unknown> | undefined;
  /** The service's refusals of what was typed in `input` (error code → words). */
  inputErrors: Record<string, string>;
  /** Where the code went, when the answer does not say. */
  sentTo?: string;
}

/** A `retry_after_sec` this long means no wait helps: the ticket's sends are used up. */
const NO_MORE_AFTER_SEC = 3600;

/** Shows the view for POST /enroll/start's answer `data` (its `transaction_token`), with `notice` said on it. */
export function sentCodeEnroll(ctx: WidgetContext, data: Answer, spec: SentCodeEnroll, notice?: string): void {
  const words = spec.words;
  const body = ctx.view('enroll');
  // The transaction of this start: only it can send a code and confirm. Kept in memory only, never in the page.
  const transactionToken = String(data.transaction_token || '');

  const fieldError = el('p', { id: 'mfa-code-error', className: 'mfa-field-error', role: 'alert' });
  ctx.fieldError = fieldError;
  const send = el('button', { type: 'button', className: 'mfa-button', 'data-testid': 'send-code', text: words.send });
  const sent = el('p', { className: 'mfa-hint', 'data-testid': 'code-sent' });
  const sendStep = el('li', { className: 'mfa-step' }, [el('h2', { className: 'mfa-step-title', text: words.title }), ...spec.fields, send, sent]);

  const code = sixDigitInput();
  const submit = el('button', { type: 'submit', className: 'mfa-button', text: words.submit });
  const form = el('form', { className: 'mfa-form', novalidate: true }, [el('label', { for: 'mfa-code', className: 'mfa-label', text: words.codeLabel }), code, submit]);
  const codeStep = el('li', { className: 'mfa-step', hidden: true }, [el('h2', { className: 'mfa-step-title', text: words.codeTitle }), form]);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    ctx.input = code;
    confirmCode(ctx, `/enroll/${spec.name}/confirm`, transactionToken, code, submit, { done: words.done, format: words.codeFormat, restarted: words.restarted });
  });
  ctx.input = spec.input || code;

  let timer: ReturnType<typeof setInterval> | undefined;
  /** The button waits `seconds`, counting down, then offers a new code. */
  const cooldown = (seconds: number) => {
    if (timer) clearInterval(timer);
    let left = Math.max(1, Math.ceil(seconds));
    send.disabled = true;
    send.textContent = words.resendIn.replace('{n}', String(left));
    timer = setInterval(() => {
      left -= 1;
      if (left > 0 && body.contains(send)) {
        send.textContent = words.resendIn.replace('{n}', String(left));
        return;
      }
      clearInterval(timer);
      send.disabled = false;
      send.textContent = words.resend;
    }, 1000);
  };

  send.addEventListener('click', () => {
    const fields = spec.read();
    if (!fields) return;
    send.disabled = true;
    ctx.status.textContent = words.sending;
    ctx.call(`/enroll/${spec.name}/send`, { ticket: ctx.ticket, transaction_token: transactionToken, ...fields }).then(
      (result) => {
        ctx.status.textContent = '';
        if (result.status === 200) {
          sent.textContent = words.sent(String(result.data.sent_to || spec.sentTo || ''));
          codeStep.hidden = false;
          if (spec.input) spec.input.readOnly = true;
          ctx.input = code;
          code.focus();
          return cooldown(Number(result.data.retry_after_sec) || 30);
        }
        send.disabled = false;
        sendRefused(ctx, result, spec, cooldown);
      },
      () => {
        send.disabled = false;
        ctx.status.textContent = '';
        ctx.notice(ctx.t.network);
      },
    );
  });

  body.appendChild(el('ol', { className: 'mfa-steps' }, [sendStep, codeStep]));
  body.appendChild(fieldError);
  if (notice) ctx.notice(notice);
}

function sendRefused(ctx: WidgetContext, result: CallResult, spec: SentCodeEnroll, cooldown: (seconds: number) => void): void {
  const words = spec.words;
  const error = String(errorOf(result));
  if (error === 'too_many_sends') {
    const wait = Number(result.data.retry_after_sec) || 30;
    // Sent moments ago (from another tab, say): the button counts down the wait.
    return wait >= NO_MORE_AFTER_SEC ? ctx.notice(words.noMore) : cooldown(wait);
  }
  if (spec.input && Object.prototype.hasOwnProperty.call(spec.inputErrors, error)) {
    ctx.input = spec.input;
    return ctx.showFieldError(spec.inputErrors[error]!);
  }
  if (error === `${spec.name}_rejected`) return ctx.notice(words.rejected);
  if (error === `${spec.name}_unavailable`) return ctx.notice(words.unavailable);
  if (RESTART.indexOf(error) >= 0) return ctx.start(words.restarted);
  ctx.handleError(result, () => ctx.start());
}
