/**
 * Signing in with a factor that sends a code (by email, text or call): a step with a button per way of sending
 * (nothing is sent before a click: a link scanner running the page clicks nothing), each calling
 * POST /mfa/<factor>/send, then the code form (its field to POST /mfa/verify) saying where the code went, with a way
 * to ask for a new one and a way back. A refusal (the cooldown, the sends used up) is said where the user is.
 */
import { el } from './dom';
import type { CodeForm, WidgetContext } from './factor';
import { errorOf, type Answer } from './http';

/** The factor's words for the step and the refusals. */
export interface SentCodeLoginWords {
  title: string;
  text: string;
  sending: string;
  /** A code went out moments ago: `{n}` the seconds before another may. */
  wait: string;
  /** No code may go out for a while: `{n}` the minutes. */
  waitLong: string;
  rejected: string;
  unavailable: string;
  other: string;
}

/** One way of sending (email has one; a phone, a text and a call). */
export interface SendWay {
  /** Names its buttons' test ids (`<factor>-send-<id>`); empty for a factor's only way. */
  id: string;
  /** What the send adds to `{ request_token }`. */
  body: Record<string, unknown>;
  button: string;
  /** The code form's link asking for a new code this way, `to` where the last one went (when known). */
  resend(to: string | undefined): string;
  /** Where the code went, masked. */
  sent(to: string): string;
}

export interface SentCodeLogin<Text> {
  /** The route's segment (POST /mfa/<name>/send), its refusals' prefix and its test ids'. */
  name: string;
  form: CodeForm<Text>;
  words(t: Text): SentCodeLoginWords;
  ways(t: Text): SendWay[];
}

/** A refused send, in words: wait a few seconds (the cooldown), or longer (sends used up, the destination's hour). */
function refusedText(words: SentCodeLoginWords, retryAfterSec: unknown): string {
  const sec = Math.max(1, Math.ceil(Number(retryAfterSec) || 30));
  return sec <= 60 ? words.wait.replace('{n}', String(sec)) : words.waitLong.replace('{n}', String(Math.ceil(sec / 60)));
}

const testId = (spec: { name: string }, what: string, way: SendWay) => `${spec.name}-${what}${way.id ? `-${way.id}` : ''}`;

/** The code form, saying where the code went (or `notice`), with a link per way to ask again and a way back. */
function showCodeForm<Text>(ctx: WidgetContext<Text>, spec: SentCodeLogin<Text>, sent: { way: SendWay; to: string } | undefined, notice?: string): void {
  const t = ctx.t;
  const to = (sent && sent.to) || ctx.destination(spec.name)?.masked;
  const resends = spec.ways(t).map((way) => {
    const resend = el('button', { type: 'button', className: 'mfa-link-button', 'data-testid': testId(spec, 'resend', way), text: way.resend(to) });
    resend.addEventListener('click', () => sendCode(ctx, spec, way, resend, true));
    return resend;
  });
  const other = el('button', { type: 'button', className: 'mfa-link-button mfa-toggle', text: spec.words(t).other });
  other.addEventListener('click', () => ctx.showLogin(false));
  const intro = sent ? [el('p', { className: 'mfa-hint', 'data-testid': `${spec.name}-sent-to`, text: sent.way.sent(sent.to) })] : [];
  ctx.showCodeForm(spec.form, intro, [...resends, other]);
  if (notice) ctx.notice(notice);
}

/** POST /mfa/<name>/send for this challenge, then the code form; a refusal is said where the user is. */
function sendCode<Text>(ctx: WidgetContext<Text>, spec: SentCodeLogin<Text>, way: SendWay, button: HTMLButtonElement, onForm: boolean): void {
  const words = spec.words(ctx.t);
  button.disabled = true;
  ctx.status.textContent = words.sending;
  const finish = () => {
    button.disabled = false;
    ctx.status.textContent = '';
  };
  const enrollment = ctx.destination(spec.name)?.enrollment_id;
  ctx.call(`/mfa/${spec.name}/send`, { request_token: ctx.requestToken, ...(enrollment ? { enrollment_id: enrollment } : {}), ...way.body }).then(
    (result) => {
      finish();
      const data: Answer = result.data || {};
      if (result.status === 200) return showCodeForm(ctx, spec, { way, to: String(data.sent_to || '') });
      const error = errorOf(result);
      // Refused because a code went out moments ago (or none may go out now): the last one still works.
      if (error === 'too_many_sends') return onForm ? ctx.notice(refusedText(words, data.retry_after_sec)) : showCodeForm(ctx, spec, undefined, refusedText(words, data.retry_after_sec));
      if (error === `${spec.name}_rejected`) return ctx.notice(words.rejected);
      if (error === `${spec.name}_unavailable`) return ctx.notice(words.unavailable);
      ctx.handleError(result, () => ctx.showLogin(false));
    },
    () => {
      finish();
      ctx.notice(words.unavailable);
    },
  );
}

/** The sign-in view's step for `spec`: its title and text, and a button per way of sending. */
export const sentCodeStep =
  <Text>(spec: SentCodeLogin<Text>) =>
  (ctx: WidgetContext<Text>): HTMLElement => {
    const words = spec.words(ctx.t);
    const buttons = spec.ways(ctx.t).map((way) => {
      const button = el('button', { type: 'button', className: 'mfa-button', 'data-testid': testId(spec, 'send', way), text: way.button });
      button.addEventListener('click', () => sendCode(ctx, spec, way, button, false));
      return button;
    });
    // Where the code would go, masked, before anything is sent (the challenge lists it; absent in an older template).
    const to = ctx.destination(spec.name);
    const where = to ? [el('p', { className: 'mfa-destination', 'data-testid': `${spec.name}-destination`, text: to.masked })] : [];
    return el('div', { className: 'mfa-step' }, [el('h2', { className: 'mfa-step-title', text: words.title }), el('p', { className: 'mfa-hint', text: words.text }), ...where, ...buttons]);
  };
