/**
 * The widget: enrollment from a ticket and sign-in for a challenge, in the container it is given. The flow is the
 * shell's (start, errors, the done screen with its recovery code, the signed result posted to the app); each factor's
 * views are its module's (./factor.ts), found through the list in ./factors.ts.
 */
import { checkIcon, el, formPost, isHttpUrl } from './dom';
import type { CodeForm, Destination, FactorUI, LoginOffer, WidgetContext } from './factor';
import { DEFAULT_UI, FACTOR_UIS } from './factors';
import { errorOf, post, type Answer, type CallResult } from './http';
import { mergeMessages, pickMessages, SHELL_MESSAGES, tooManyText, wrongCodeText, type ShellText, type Words } from './messages';
import { decode } from './options';

/** The words of every locale, the shell's and every factor's: `MfaWidget.messages`, which a page's script may extend. */
export const MESSAGES = mergeMessages([SHELL_MESSAGES, ...FACTOR_UIS.map((ui) => ui.messages)]);

/** Error codes that end the flow: the widget then says why and offers nothing more. */
const FINAL = [
  'ticket_not_found', 'ticket_superseded', 'ticket_redeemed', 'ticket_expired', 'ticket_revoked', 'ticket_locked', 'already_enrolled',
  'challenge_not_found', 'challenge_expired', 'challenge_accepted', 'challenge_locked',
];

/** The constructor's options: the seed's names (`new MfaWidget({ container: 'container', ticket: '…', … })`). */
export interface WidgetOptions {
  container?: string | HTMLElement | null;
  /** Read from data-* attributes (plain text) rather than written into a script by a template (HTML-escaped). */
  fromDataset?: boolean;
  ticket?: unknown;
  requestToken?: unknown;
  mfaServerUrl?: unknown;
  postActionURL?: unknown;
  /** The ticket's factor, or in sign-in the challenge's factors (space- or comma-separated): which views to offer. */
  factor?: unknown;
  globalTrackingId?: unknown;
  locale?: unknown;
  requesterErrors?: ReadonlyArray<{ message?: unknown } | null | undefined>;
  /** Sign-in: offer "Remember this browser for N days" (N; empty: no box). */
  rememberBrowserDays?: unknown;
  /** Sign-in: `true` to try this browser's remembered cookie before asking for a code. */
  rememberedBrowser?: unknown;
  /** Sign-in: JSON `[{ factor, enrollment_id, masked }]`, where the code-sending factors would send (masked). */
  destinations?: unknown;
  [seedOption: string]: unknown;
}

type Offered = FactorUI & { login: LoginOffer<Words> };
const offersLogin = (ui: FactorUI): ui is Offered => Boolean(ui.login);

/** What the page says of a destination: masked only, as the challenge lists it. */
function parseDestinations(text: string): Destination[] {
  let list: unknown;
  try {
    list = text ? JSON.parse(text) : [];
  } catch {
    return [];
  }
  return Array.isArray(list)
    ? list.filter((d): d is Destination => Boolean(d) && typeof d.factor === 'string' && typeof d.enrollment_id === 'string' && typeof d.masked === 'string')
    : [];
}

/** A recovery code as people copy it: `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX` (the APIs answer the bare 24 characters). */
function groupCode(code: unknown): string {
  return String(code || '').replace(/[^0-9A-Za-z]/g, '').replace(/(.{4})(?=.)/g, '$1-');
}

export class Widget implements WidgetContext {
  readonly container: HTMLElement;
  readonly ticket: string;
  readonly requestToken: string;
  readonly serverUrl: string;
  readonly postActionURL: string;
  readonly factors: string[];
  readonly trackingId: string;
  readonly requesterErrors: string[];
  readonly t: ShellText & Words;
  root!: HTMLElement;
  status!: HTMLElement;
  errors!: HTMLElement;
  body!: HTMLElement;
  input!: HTMLInputElement;
  fieldError!: HTMLElement;
  submit!: HTMLButtonElement;
  /** Whether the sign-in view shows the alternative (a recovery code) rather than the challenge's factors. */
  alternative = false;
  readonly rememberDays: string;
  readonly tryRemembered: boolean;
  readonly destinations: ReadonlyArray<Destination>;
  /** The "Remember this browser" box of the sign-in view, when the challenge offers it. */
  rememberBox: HTMLInputElement | undefined;

  constructor(options: WidgetOptions) {
    options = options || {};
    const container = typeof options.container === 'string' ? document.getElementById(options.container) : options.container;
    if (!container) throw new Error('MfaWidget: container not found');
    const fromScript = !options.fromDataset;
    const read = (value: unknown): string => (fromScript ? decode(value) : (value as string) || '');
    this.container = container;
    this.ticket = read(options.ticket);
    this.requestToken = read(options.requestToken);
    this.serverUrl = read(options.mfaServerUrl).replace(/\/+$/, '');
    this.postActionURL = read(options.postActionURL);
    this.factors = read(options.factor).split(/[\s,]+/).filter(Boolean);
    this.trackingId = read(options.globalTrackingId);
    this.requesterErrors = (options.requesterErrors || []).map((e) => read(e && e.message));
    this.rememberDays = /^\d{1,3}$/.test(read(options.rememberBrowserDays)) ? read(options.rememberBrowserDays) : '';
    this.tryRemembered = read(options.rememberedBrowser) === 'true';
    this.destinations = parseDestinations(read(options.destinations));
    this.t = pickMessages(MESSAGES, read(options.locale)) as ShellText & Words;
    container.setAttribute('data-mfa-widget-ready', '');
    this.render();
  }

  destination(factor: string): Destination | undefined {
    for (const d of this.destinations) if (d.factor === factor) return d;
    return undefined;
  }

  render(): void {
    this.container.textContent = '';
    this.root = el('div', { className: 'mfa-widget', 'data-state': 'loading' });
    this.status = el('p', { className: 'mfa-status', role: 'status', 'aria-live': 'polite' });
    this.errors = el(
      'div',
      { className: 'mfa-requester-errors' },
      this.requesterErrors.filter(Boolean).map((message) => el('p', { className: 'mfa-error', role: 'alert', text: message })),
    );
    this.body = el('div', { className: 'mfa-body' });
    this.root.appendChild(this.errors);
    this.root.appendChild(this.body);
    this.root.appendChild(this.status);
    this.container.appendChild(this.root);
    if (this.ticket) return this.start();
    if (this.requestToken) return this.tryRemembered ? this.signInRemembered() : this.showLogin(false);
    this.showEnded('loginUnavailable');
  }

  call(path: string, body: object): Promise<CallResult> {
    // Sign-in calls carry the remembered-browser cookie (HttpOnly: the script never sees it).
    return post(this.serverUrl, path, body, Boolean(this.requestToken));
  }

  withRemember(body: Record<string, unknown>): Record<string, unknown> {
    if (this.rememberBox && this.rememberBox.checked) body.remember_browser = true;
    return body;
  }

  /** A remembered browser signs in without a code; anything else (not remembered, expired, revoked) asks for one. */
  signInRemembered(): void {
    this.view('remembered').appendChild(el('p', { className: 'mfa-loading', text: this.t.signingIn }));
    const ask = () => this.showLogin(false);
    this.call('/mfa/verify', { request_token: this.requestToken, remembered_browser: true }).then(
      (result) => (result.status === 200 ? this.loginSucceeded(result.data) : ask()),
      ask,
    );
  }

  setState(state: string): void {
    this.root.setAttribute('data-state', state);
  }

  view(state: string): HTMLElement {
    this.setState(state);
    this.body.textContent = '';
    return this.body;
  }

  /** Enrollment: POST /enroll/start, then the view of the factor the ticket enrolls. */
  start(notice?: string): void {
    this.view('loading').appendChild(el('p', { className: 'mfa-loading', text: this.t.loading }));
    this.call('/enroll/start', { ticket: this.ticket }).then(
      (result) => {
        if (result.status === 200) {
          const factor = String(result.data.factor);
          const ui = FACTOR_UIS.find((candidate) => candidate.factors.indexOf(factor) >= 0);
          return ((ui && ui.enroll) || DEFAULT_UI.enroll)(this, result.data, notice);
        }
        this.handleError(result, () => this.start());
      },
      () => this.showRetry(() => this.start()),
    );
  }

  handleError(result: CallResult, retry: () => void): void {
    const code = errorOf(result) as string;
    if (FINAL.indexOf(code) >= 0) return this.showEnded(code);
    if (result.status >= 500 || result.status === 0) return this.showRetry(retry, this.t.failed);
    this.showEnded('failed');
  }

  showRetry(retry: () => void, message?: string): void {
    const body = this.view('retry');
    const button = el('button', { type: 'button', className: 'mfa-button', text: this.t.retry });
    button.addEventListener('click', retry);
    body.appendChild(el('div', { className: 'mfa-ended', role: 'alert' }, [el('p', { text: message || this.t.network }), button]));
  }

  showEnded(code: string): void {
    this.view('ended').appendChild(el('p', { className: 'mfa-ended', role: 'alert', 'data-code': code, text: this.t[code] || this.t.failed }));
  }

  showFieldError(message: string): void {
    this.fieldError.textContent = '';
    this.input.setAttribute('aria-invalid', 'true');
    // Emptied then filled on the next frame, so screen readers announce the same message again.
    setTimeout(() => {
      this.fieldError.textContent = message;
    }, 50);
    this.input.focus();
    this.input.select();
  }

  notice(message: string): void {
    this.fieldError.textContent = '';
    setTimeout(() => {
      this.fieldError.textContent = message;
    }, 50);
  }

  showDone(data: Answer, text: string): void {
    const t = this.t;
    const body = this.view('done');
    const heading = el('h2', { className: 'mfa-done-title', tabindex: '-1', text: t.doneTitle });
    const copyCode = el('button', { type: 'button', className: 'mfa-link-button', text: t.copyCode });
    copyCode.addEventListener('click', () => this.copy(String(data.recovery_code || '')));
    const children: Node[] = [
      checkIcon(),
      heading,
      el('p', { text }),
      el('section', { className: 'mfa-recovery', 'aria-labelledby': 'mfa-recovery-title' }, [
        el('h3', { id: 'mfa-recovery-title', text: t.recoveryTitle }),
        el('p', { text: t.recoveryText }),
        el('div', { className: 'mfa-key mfa-recovery-code' }, [el('code', { 'data-testid': 'recovery-code', text: groupCode(data.recovery_code) }), copyCode]),
      ]),
    ];
    const redirect = (data.redirect_url || this.postActionURL) as string;
    if (redirect && isHttpUrl(redirect)) {
      const saved = el('input', { type: 'checkbox', id: 'mfa-saved' });
      const next = el('button', { type: 'button', className: 'mfa-button', disabled: true, text: t.continue });
      saved.addEventListener('change', () => {
        next.disabled = !saved.checked;
      });
      next.addEventListener('click', () => location.assign(redirect));
      children.push(el('label', { className: 'mfa-check', for: 'mfa-saved' }, [saved, el('span', { text: t.savedIt })]));
      children.push(next);
    } else {
      children.push(el('p', { className: 'mfa-hint', text: t.closePage }));
    }
    body.appendChild(el('div', { className: 'mfa-done' }, children));
    heading.focus();
  }

  /**
   * Sign-in (`requestToken` set): the views of the factors the challenge lists (a form for a code, steps such as a
   * security key button above it), or the alternative's form (a recovery code) behind a link. A right answer comes
   * back as `signature`, form-POSTed to postActionURL (with `state`) exactly as the vendor's formPostHelper does.
   */
  showLogin(alternative: boolean): void {
    const t = this.t;
    this.alternative = alternative;
    const listed = FACTOR_UIS.filter(offersLogin).filter((ui) => !ui.login.alternative && ui.factors.some((f) => this.factors.indexOf(f) >= 0));
    const offered: Offered[] = listed.length ? listed : [DEFAULT_UI];
    const withForm = offered.find((ui) => ui.login.form);
    // The alternative (a recovery code) only where the challenge allows it (a step-up may not).
    const other = FACTOR_UIS.filter(offersLogin).find(
      (ui) => ui.login.alternative && (this.factors.length === 0 || ui.factors.some((f) => this.factors.indexOf(f) >= 0)),
    );
    const form = alternative ? other && other.login.form : withForm && withForm.login.form;
    const body = this.view(form ? form.state : 'login');
    this.fieldError = el('p', { id: 'mfa-code-error', className: 'mfa-field-error', role: 'alert' });
    // The link to the other view: to the alternative, or back to the listed factors (the form's, else the first's).
    const linkTo = alternative ? withForm || offered[0] : other;
    const toggle = linkTo && el('button', { type: 'button', className: 'mfa-link-button mfa-toggle', text: linkTo.login.label(t) });
    if (toggle) toggle.addEventListener('click', () => this.showLogin(!alternative));
    const remember = this.rememberDays ? this.rememberCheckbox() : undefined;
    if (!alternative) {
      for (const ui of offered) if (ui.login.step) body.appendChild(ui.login.step(this));
    }
    if (form) {
      body.appendChild(this.codeStep(form, [], [toggle]));
      this.input.focus();
    } else {
      // Only steps (security keys): the error line and the way to a recovery code still belong on the page.
      body.appendChild(el('div', { className: 'mfa-step' }, [this.fieldError, toggle]));
    }
    if (remember) body.appendChild(remember);
  }

  /** "Remember this browser for N days", kept ticked across the views of one sign-in. */
  rememberCheckbox(): HTMLElement {
    const checked = Boolean(this.rememberBox && this.rememberBox.checked);
    this.rememberBox = el('input', { type: 'checkbox', id: 'mfa-remember', name: 'remember_browser' });
    this.rememberBox.checked = checked;
    return el('label', { className: 'mfa-check mfa-remember', for: 'mfa-remember' }, [
      this.rememberBox,
      el('span', { text: this.t.rememberBrowser.replace('{n}', this.rememberDays) }),
    ]);
  }

  /** A code form of a factor's own step (a code it sent), on a view of its own: `intro` above it, `after` below. */
  showCodeForm(form: CodeForm<Words>, intro: ReadonlyArray<Node>, after: ReadonlyArray<Node>): void {
    const body = this.view(form.state);
    this.fieldError = el('p', { id: 'mfa-code-error', className: 'mfa-field-error', role: 'alert' });
    body.appendChild(this.codeStep(form, intro, after));
    this.input.focus();
  }

  /** The step holding `form` (its input, the error line, the submit), posting to POST /mfa/verify. */
  codeStep(form: CodeForm<Words>, intro: ReadonlyArray<Node | null | undefined>, after: ReadonlyArray<Node | null | undefined>): HTMLElement {
    const t = this.t;
    const input = form.input();
    this.input = input;
    this.submit = el('button', { type: 'submit', className: 'mfa-button', text: t.verify });
    const formNode = el('form', { className: 'mfa-form', novalidate: true }, [
      el('label', { for: input.id, className: 'mfa-label', text: form.label(t) }),
      input,
      this.fieldError,
      this.submit,
    ]);
    formNode.addEventListener('submit', (event) => {
      event.preventDefault();
      this.verifyLogin(form);
    });
    return el('div', { className: 'mfa-step' }, [el('h2', { className: 'mfa-step-title', text: form.title(t) }), ...intro, formNode, ...after]);
  }

  verifyLogin(form: CodeForm<Words>): void {
    const t = this.t;
    const value = form.read(this.input.value);
    if (value === undefined) return this.showFieldError(form.formatError(t));
    const body: Record<string, unknown> = { request_token: this.requestToken };
    body[form.field] = value;
    this.withRemember(body);
    this.submit.disabled = true;
    this.input.setAttribute('aria-busy', 'true');
    this.status.textContent = t.verifying;
    const done = () => {
      this.submit.disabled = false;
      this.input.removeAttribute('aria-busy');
      this.status.textContent = '';
    };
    this.call('/mfa/verify', body).then(
      (result) => {
        done();
        if (result.status === 200) return this.loginSucceeded(result.data);
        const data = result.data || {};
        if (data.error === 'invalid_code' && typeof data.attempts_remaining === 'number') return this.showFieldError(wrongCodeText(t, data.attempts_remaining));
        if (data.error === 'too_many_attempts') return this.showFieldError(tooManyText(t, data.retry_after_sec));
        if (result.status === 400) return this.showFieldError(form.formatError(t));
        this.handleError(result, () => this.showLogin(this.alternative));
      },
      () => {
        done();
        this.showFieldError(t.network);
      },
    );
  }

  loginSucceeded(data: Answer): void {
    const t = this.t;
    const target = (data.post_action_url || this.postActionURL) as string;
    const postResult = () => {
      this.view('posting').appendChild(el('p', { className: 'mfa-loading', text: t.signingIn }));
      const fields: Record<string, unknown> = { signature: data.signature };
      if (data.state !== undefined && data.state !== null) fields.state = data.state;
      formPost(target, fields);
    };
    if (!data.recovery_code) return postResult();
    const body = this.view('new-recovery-code');
    const heading = el('h2', { className: 'mfa-done-title', tabindex: '-1', text: t.newRecoveryTitle });
    const copyCode = el('button', { type: 'button', className: 'mfa-link-button', text: t.copyCode });
    copyCode.addEventListener('click', () => this.copy(groupCode(data.recovery_code)));
    const saved = el('input', { type: 'checkbox', id: 'mfa-saved' });
    const next = el('button', { type: 'button', className: 'mfa-button', disabled: true, text: t.continue });
    saved.addEventListener('change', () => {
      next.disabled = !saved.checked;
    });
    next.addEventListener('click', postResult);
    body.appendChild(
      el('div', { className: 'mfa-done' }, [
        heading,
        el('section', { className: 'mfa-recovery', 'aria-labelledby': 'mfa-recovery-title' }, [
          el('p', { id: 'mfa-recovery-title', text: t.newRecoveryText }),
          el('div', { className: 'mfa-key mfa-recovery-code' }, [el('code', { 'data-testid': 'recovery-code', text: groupCode(data.recovery_code) }), copyCode]),
        ]),
        el('label', { className: 'mfa-check', for: 'mfa-saved' }, [saved, el('span', { text: t.savedIt })]),
        next,
      ]),
    );
    heading.focus();
  }

  copy(text: string): void {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(() => {
        this.status.textContent = this.t.copied;
      });
    }
  }
}
