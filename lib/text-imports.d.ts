// Files bundled as text at build time: esbuild's `text` loader and import attributes (serverless.yml), and the
// vitest plugin that mirrors them (vitest.config.mts). Used by the email templates and the hosted page.
declare module '*.liquid' {
  const text: string;
  export default text;
}
declare module '*.css' {
  const text: string;
  export default text;
}
/** The enrollment page's template, chosen at build time (serverless.yml `custom.esbuild.alias`). */
declare module 'mfa-page-template' {
  const text: string;
  export default text;
}
