// Files esbuild inlines as strings (lib/enrollment/bundled.ts).
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
