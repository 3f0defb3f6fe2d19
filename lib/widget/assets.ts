/** Where this script was served from: its helpers (webauthn.js) sit beside it and are loaded only when needed. */
export const ASSET_BASE = ((document.currentScript && (document.currentScript as HTMLScriptElement).src) || '').replace(/[^/]*$/, '');
