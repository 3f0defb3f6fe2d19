// The two modules of `qrcode` that make an SVG QR code (lib/enrollment/start.ts); typed after @types/qrcode.
declare module 'qrcode/lib/core/qrcode' {
  export { create } from 'qrcode';
}
declare module 'qrcode/lib/renderer/svg-tag' {
  import type { QRCode, QRCodeRenderersOptions } from 'qrcode';
  /** The `<svg>` element, as `QRCode.toString(text, { type: 'svg' })` returns it. */
  export function render(qrData: QRCode, options?: QRCodeRenderersOptions): string;
}
