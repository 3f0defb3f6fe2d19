/*
 * The hosted page's script (served as GET /enroll/assets/widget.<hash>.js, built by `npm run assets`): no other
 * origin, so the page runs under a strict CSP.
 *
 * It starts by itself on any element with `data-mfa-widget` (options from its data-* attributes, as the default
 * template does), or is constructed by an inline script the way the seed's hosted page does:
 *   new MfaWidget({ container: 'container', ticket: '{{ ticket }}', mfaServerUrl: '{{ mfaServerUrl }}', ... })
 * (`Auth0MFAWidget` is the same constructor). It builds its DOM with textContent only: nothing it shows is parsed as HTML.
 */
import type { Words } from './messages';
import { decode } from './options';
import { MESSAGES, Widget, type WidgetOptions } from './widget';

interface MfaWidgetConstructor {
  new (options: WidgetOptions): Widget;
  (options: WidgetOptions): Widget;
  prototype: Widget;
  /** The widget's words by locale: add a locale or change a phrase from your own script before the widget starts. */
  messages: Record<string, Words>;
  decode: (value: unknown) => string;
}

declare global {
  interface Window {
    MfaWidget: MfaWidgetConstructor;
    Auth0MFAWidget: MfaWidgetConstructor;
  }
}

/** The seed's constructor, callable with or without `new`; its instances are widgets (`instanceof` holds). */
const MfaWidget = function (options: WidgetOptions) {
  return new Widget(options);
} as unknown as MfaWidgetConstructor;
MfaWidget.prototype = Widget.prototype;
MfaWidget.messages = MESSAGES;
MfaWidget.decode = decode;

/** `<div data-mfa-widget data-ticket="…" data-mfa-server-url="…" …>`: the default template's way, no inline script. */
function autoStart(): void {
  const nodes = document.querySelectorAll<HTMLElement>('[data-mfa-widget]:not([data-mfa-widget-ready])');
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    const d = node.dataset;
    new Widget({
      container: node,
      fromDataset: true,
      ticket: d.ticket,
      requestToken: d.requestToken,
      mfaServerUrl: d.mfaServerUrl || location.origin,
      postActionURL: d.postActionUrl,
      factor: d.factor,
      globalTrackingId: d.globalTrackingId,
      locale: d.locale,
      rememberBrowserDays: d.rememberBrowserDays,
      rememberedBrowser: d.rememberedBrowser,
      destinations: d.destinations,
    });
  }
}

window.MfaWidget = MfaWidget;
window.Auth0MFAWidget = MfaWidget;
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', autoStart);
else autoStart();
