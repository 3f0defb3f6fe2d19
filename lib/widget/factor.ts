import type { Answer, CallResult } from './http';
import type { MessageTable, ShellText, Words } from './messages';

/**
 * One factor's part of the hosted page: the views it adds to enrollment and sign-in, and its words. A module
 * (lib/factors/<factor>/widget.ts) exports one of these; the shell finds it by `factors` through the one list in
 * ./factors.ts and never branches on a factor's name, so a new factor's UI is a module and a line in that list.
 */
export interface FactorUI<Text = Words> {
  /** The factor names it serves: a ticket's `factor`, the names in a challenge's `factors`. */
  readonly factors: readonly string[];
  /** Its words in every locale, merged with the shell's into `MfaWidget.messages` (a key belongs to one module). */
  readonly messages: MessageTable<Text>;
  /** Enrollment from a ticket: the view for POST /enroll/start's answer, with `notice` said on it when given. */
  enroll?(ctx: WidgetContext<Text>, start: Answer, notice?: string): void;
  /** Sign-in with this factor. */
  login?: LoginOffer<Text>;
}

export interface LoginOffer<Text> {
  /** A code the user types: the shell shows the form, posts it to POST /mfa/verify and says what went wrong. */
  form?: CodeForm<Text>;
  /** A step of its own on the sign-in view (a button running a browser ceremony), shown above any form. */
  step?(ctx: WidgetContext<Text>): HTMLElement;
  /** Offered on every challenge, behind a link from the listed factors' view, rather than when a challenge lists it. */
  alternative?: boolean;
  /** The words of the link that leads to this factor ("Use a recovery code instead"). */
  label(t: Text): string;
}

/** A code typed on the sign-in view and sent to POST /mfa/verify as `field`. */
export interface CodeForm<Text> {
  /** Its field in the body of POST /mfa/verify. */
  readonly field: string;
  /** The widget's `data-state` while the form is shown. */
  readonly state: string;
  input(): HTMLInputElement;
  title(t: Text): string;
  label(t: Text): string;
  /** Said when what was typed cannot be a code, and when the service answers 400. */
  formatError(t: Text): string;
  /** What to send for the typed text, or undefined when it cannot be a code. */
  read(typed: string): string | undefined;
}

/** Where a factor that sends codes would send one for this challenge: the enrollment, and the destination masked. */
export interface Destination {
  factor: string;
  enrollment_id: string;
  masked: string;
}

/** What a factor's module may use of the widget it runs in (./widget.ts). */
export interface WidgetContext<Text = Words> {
  /** The words of the widget's locale: the shell's and the module's own. */
  readonly t: ShellText & Text;
  readonly ticket: string;
  readonly requestToken: string;
  /** The status line (`role="status"`): progress such as "Checking the code…". */
  readonly status: HTMLElement;
  /** The current view's error line (`#mfa-code-error`, `role="alert"`): a view that has one sets it. */
  fieldError: HTMLElement;
  /** The current view's input, which showFieldError marks invalid and focuses. */
  input: HTMLInputElement;
  /** POSTs JSON to `path` on the service (the widget's mfaServerUrl). */
  call(path: string, body: object): Promise<CallResult>;
  /** Sign-in: a proof's body, with `remember_browser: true` when the user ticked "Remember this browser". */
  withRemember(body: Record<string, unknown>): Record<string, unknown>;
  /** Empties the body for a new view, sets the widget's `data-state`, and returns the body to fill. */
  view(state: string): HTMLElement;
  /** Says `message` on the error line, and marks and focuses the input. */
  showFieldError(message: string): void;
  /** Says `message` on the error line only (a view without an input). */
  notice(message: string): void;
  /** An answer the module does not handle: a final error ends the flow, a server error offers `retry`. */
  handleError(result: CallResult, retry: () => void): void;
  /** Enrollment: POST /enroll/start again (a new transaction), with `notice` said on the new view. */
  start(notice?: string): void;
  /** Enrollment done: `text` says what was set up, then the recovery code the answer carries and the way on. */
  showDone(answer: Answer, text: string): void;
  /** Sign-in accepted: the answer's signature is posted to the app (after a new recovery code, if it carries one). */
  loginSucceeded(answer: Answer): void;
  /**
   * A code form of the module's own (a code it had sent), on a view of its own: `intro` above it (where the code went),
   * `after` below (send again, the way back). The shell posts it to POST /mfa/verify as for the listed factors' forms.
   */
  showCodeForm(form: CodeForm<Text>, intro: ReadonlyArray<Node>, after: ReadonlyArray<Node>): void;
  /** The sign-in view again: the listed factors' (false) or the alternative's (true). */
  showLogin(alternative: boolean): void;
  copy(text: string): void;
  /** Sign-in: where `factor` would send its code (the first of the user's such enrollments), when the page says. */
  destination(factor: string): Destination | undefined;
}
