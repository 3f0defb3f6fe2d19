/** Liquid templates are bundled as text: esbuild's `text` loader (serverless.yml) and a vitest plugin (vitest.config.mts). */
declare module '*.liquid' {
  const source: string;
  export default source;
}
