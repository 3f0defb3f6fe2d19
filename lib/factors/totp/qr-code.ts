// Only the QR encoder and its SVG renderer: `qrcode`'s entry point also loads the PNG renderer and pngjs (~57 KB
// of bundle for output we never produce). Same output as `QRCode.toString(uri, { type: 'svg', ... })`.
import { create as createQrCode } from 'qrcode/lib/core/qrcode';
import { render as renderSvg } from 'qrcode/lib/renderer/svg-tag';
import type { StartedTotp } from './enroll';

/** The hosted page's TOTP start: the secret and, for scanning, its otpauth URI as a QR code. */
export interface StartedEnrollment extends StartedTotp {
  /** The otpauth URI as a QR code: an SVG `data:` URL. */
  qr_code: string;
}

export function withQrCode(started: StartedTotp): StartedEnrollment {
  const svg = renderSvg(createQrCode(started.otpauth_uri, { errorCorrectionLevel: 'M' }), { margin: 2 });
  return { ...started, qr_code: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
}
