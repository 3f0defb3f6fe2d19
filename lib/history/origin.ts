import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * Where a write that becomes a lifecycle event came from, kept on the item it wrote (`origin`), so the history
 * (docs/HISTORY.md) can say who caused the event. Additive: items without it read as "unknown".
 */
export type Via = 'page' | 'device' | 'admin' | 'signup' | 'system';

export interface Origin {
  via: Via;
  /** The client's address as API Gateway saw it (requestContext.http.sourceIp); absent when no request caused it. */
  ip?: string;
  /** Browser and OS only (`Chrome on macOS`), never the whole header. */
  ua_summary?: string;
  /** When it was written (epoch ms): tells a write that set it from a later one that left it as it was. */
  at: number;
}

const BROWSERS: ReadonlyArray<[RegExp, string]> = [
  // Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\b(OPR|Opera)\//, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bCriOS\/|\bChrome\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/\bokhttp\//, 'okhttp'],
  [/\bDart\//, 'Dart'],
  [/\bcurl\//, 'curl'],
  [/\bnode-fetch\b|\bundici\b|\bnode\b/i, 'Node.js'],
  [/\bpython-requests\/|\bpython/i, 'Python'],
  [/\bGo-http-client\//, 'Go'],
  [/\bCFNetwork\//, 'iOS app'],
];
const SYSTEMS: ReadonlyArray<[RegExp, string]> = [
  [/\b(iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bMac OS X\b|\bMacintosh\b|\bDarwin\//, 'macOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bLinux\b/, 'Linux'],
];

/**
 * A User-Agent header → `Browser on OS` (`Chrome on macOS`, `Firefox`, `curl`), or undefined when nothing is
 * recognised: a table of a dozen patterns rather than a parsing library (the history needs a hint for support, not a
 * device database). Never returns any of the header's own text, so nothing a client sends is stored verbatim.
 */
export function uaSummary(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const ua = header.slice(0, 512);
  const browser = BROWSERS.find(([pattern]) => pattern.test(ua))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system;
}

/** An origin before it is written: the writer adds `at`, the time of its write. */
export type RequestOrigin = Omit<Origin, 'at'>;

/** What an HTTP request that writes an event-causing item records about itself. */
export function originOfRequest(event: Pick<APIGatewayProxyEventV2, 'requestContext'>, via: Via): RequestOrigin {
  const http = event.requestContext?.http;
  const ip = typeof http?.sourceIp === 'string' && /^[0-9a-fA-F.:]{2,45}$/.test(http.sourceIp) ? http.sourceIp : undefined;
  return { via, ip, ua_summary: uaSummary(http?.userAgent) };
}

/**
 * The clause an UpdateExpression's SET appends to keep `origin` (stamped with the write's time) on the item whose
 * change becomes the event, and its value; nothing when the caller recorded none.
 */
export function originUpdate(origin: RequestOrigin | undefined, at: number): { set: string; values: { ':origin'?: Origin } } {
  return origin ? { set: ', origin = :origin', values: { ':origin': { ...origin, at } } } : { set: '', values: {} };
}
