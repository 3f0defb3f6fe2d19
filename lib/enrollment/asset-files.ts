/**
 * The widget's files, inlined as strings by esbuild (import attribute `type: 'text'`) into the asset function only
 * (functions/enroll-assets.ts); the same three files as infra/page-assets.js `FILES`, whose hashed names the pages link.
 * The script is the build of lib/widget (not committed): `npm install` and `npm run assets` write it, and so does
 * serverless.yml's `${file(infra/page-assets.js):current}` before anything is bundled.
 */
import widgetStyle from '../../templates/page/assets/widget.css' with { type: 'text' };
// @ts-expect-error TS2306: a classic browser script, not a module (TS2307 before its first build); esbuild inlines its text.
import widgetScript from '../../.build/page-assets/widget.js' with { type: 'text' };
// @ts-expect-error TS2307: @simplewebauthn/browser's UMD build (a classic script; the package's exports do not list it).
import webauthnScript from '../../node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js' with { type: 'text' };
import { assetCatalog } from './assets';

export const bundledAssets = assetCatalog({ script: widgetScript as string, style: widgetStyle, webauthn: webauthnScript as string });
