/**
 * What the page functions carry: their templates, inlined as strings by esbuild when the function is bundled, and the
 * content-hashed names of the widget's files (templates/page/assets/manifest.json, written by `npm run assets`) — not
 * the files themselves, which only the asset function carries (./asset-files.ts). Tests read the same files from disk.
 *
 * `mfa-page-template` is an esbuild alias (serverless.yml `custom.esbuild.alias`) for the enrollment page's template:
 * ours, templates/page/default.liquid, unless PAGE_TEMPLATE names the operator's file at build time
 * (docs/ENROLLMENT.md "Your own page").
 */
import enrollTemplate from 'mfa-page-template' with { type: 'text' };
import messageTemplate from '../../templates/page/message.liquid' with { type: 'text' };
import manifest from '../../templates/page/assets/manifest.json';
import { assetUrls } from './assets';

export const bundledTemplates = { enroll: enrollTemplate, message: messageTemplate };
export const bundledAssetUrls = assetUrls(manifest);
