/**
 * The page's templates and the widget's files, inlined as strings by esbuild when the function is bundled
 * (import attribute `type: 'text'`). Only the page and asset handlers import this module; tests read the same files
 * from disk.
 *
 * `mfa-page-template` is an esbuild alias (serverless.yml `custom.esbuild.alias`) for the enrollment page's template:
 * ours, templates/page/default.liquid, unless PAGE_TEMPLATE names the operator's file at build time
 * (docs/ENROLLMENT.md "Your own page").
 */
import enrollTemplate from 'mfa-page-template' with { type: 'text' };
import messageTemplate from '../../templates/page/message.liquid' with { type: 'text' };
import widgetStyle from '../../templates/page/assets/widget.css' with { type: 'text' };
// @ts-expect-error TS2306: a classic browser script, not a module; esbuild inlines its text.
import widgetScript from '../../templates/page/assets/widget.js' with { type: 'text' };
// @ts-expect-error TS2307: @simplewebauthn/browser's UMD build (a classic script; the package's exports do not list it).
import webauthnScript from '../../node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js' with { type: 'text' };
import { assetCatalog } from './assets';

export const bundledTemplates = { enroll: enrollTemplate, message: messageTemplate };
export const bundledAssets = assetCatalog({ script: widgetScript as string, style: widgetStyle, webauthn: webauthnScript as string });
