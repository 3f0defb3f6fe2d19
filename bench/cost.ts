/**
 * Cost per 1,000 enrollments from the measured work per operation. Prices are AWS public list prices for us-east-1
 * as published on the date below; they are assumptions of this estimate, not fetched.
 */
import type { FlowResult } from './ops';

export const PRICES = {
  date: 'as published on the AWS pricing pages in 2025 (DynamoDB on-demand as reduced on 2024-11-01); not re-checked on the run date',
  region: 'us-east-1',
  lambdaGbSecondArm: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  dynamoPerMillionWru: 0.625,
  dynamoPerMillionRru: 0.125,
  sesPerThousandEmails: 0.1,
  httpApiPerMillionRequests: 1.0,
  /**
   * A text to a US number from a US toll-free number through AWS End User Messaging: AWS's per-part price plus the
   * carriers' toll-free surcharge passed through (docs/PHONE.md "What a message costs"); every text of ours is one part.
   */
  smsUsPerMessage: 0.00581 + 0.0025,
  /** A call to a US number, per minute started (ours says the code twice within its first minute). */
  voiceUsPerMinute: 0.013,
};

export interface CostLine {
  label: string;
  lambda: number;
  requests: number;
  dynamodb: number;
  ses: number;
  httpApi: number;
  /** Texts and calls (End User Messaging), at the US list prices above. */
  phone: number;
  total: number;
}

/** One operation's cost: Lambda billed per 1 ms of duration at the function's memory, plus its request, store and mail. */
export function operationCost(f: FlowResult, options: { http: boolean; count?: number } = { http: true }): CostLine {
  const n = options.count ?? 1;
  const gbSeconds = ((f.memoryMb ?? 0) / 1024) * (Math.ceil(f.ms ?? 0) / 1000);
  const invocations = f.invocations ?? 1;
  const lambda = gbSeconds * PRICES.lambdaGbSecondArm * n;
  const requests = (invocations * PRICES.lambdaPerMillionRequests * n) / 1e6;
  const dynamodb = (((f.calls?.wcu ?? 0) * PRICES.dynamoPerMillionWru + (f.calls?.rcu ?? 0) * PRICES.dynamoPerMillionRru) * n) / 1e6;
  const ses = ((f.emails ?? 0) * PRICES.sesPerThousandEmails * n) / 1000;
  const httpApi = options.http ? (PRICES.httpApiPerMillionRequests * n) / 1e6 : 0;
  const phone = ((f.messages?.sms ?? 0) * PRICES.smsUsPerMessage + (f.messages?.voice ?? 0) * PRICES.voiceUsPerMinute) * n;
  return { label: f.label.trim(), lambda, requests, dynamodb, ses, httpApi, phone, total: lambda + requests + dynamodb + ses + httpApi + phone };
}

/**
 * 1,000 enrollments = 1,000 × (create + email + page view with its assets + start + confirm). The sweep is not part of
 * a completed enrollment (it only touches tickets that expired) and is priced per 1,000 expired tickets.
 */
export function enrollmentCost(flows: FlowResult[]) {
  const perEnrollment = ['create', 'email', 'page', 'asset', 'start', 'confirm'];
  const lines: CostLine[] = [];
  const missing: string[] = [];
  for (const f of flows) {
    if (!perEnrollment.includes(f.flow)) continue;
    if (f.status !== 'measured') {
      missing.push(f.label.trim());
      continue;
    }
    lines.push(operationCost(f, { http: f.flow !== 'email', count: 1000 }));
  }
  const total = lines.reduce((sum, l) => sum + l.total, 0);
  const sweep = flows.find((f) => f.flow === 'sweep' && f.status === 'measured' && f.expired);
  const sweepPerThousandExpired = sweep ? operationCost(sweep, { http: false, count: 1000 / sweep.expired! }) : undefined;
  return { lines, total, missing, sweepPerThousandExpired };
}

/**
 * 1,000 MFA logins, per way of proving: challenge create + login page view + (the send, for a code the service sends)
 * + verify with the right proof. The page's scripts and styles are the enrollment page's (same functions, cacheable)
 * and are not counted again; wrong codes and recovery-code logins are measured but are not part of a typical login.
 */
export function mfaLoginCost(flows: FlowResult[]) {
  const common: Array<(f: FlowResult) => boolean> = [(f) => f.flow === 'mfaCreate', (f) => f.flow === 'mfaPage'];
  const ways: Array<{ way: string; parts: Array<(f: FlowResult) => boolean> }> = [
    { way: 'authenticator app (TOTP)', parts: [(f) => f.flow === 'mfaVerify' && f.variant === 'right'] },
    { way: 'code by email', parts: [(f) => f.flow === 'mfaEmailSend', (f) => f.flow === 'mfaVerify' && f.variant === 'email'] },
    { way: 'code by text (US)', parts: [(f) => f.flow === 'mfaPhoneSend' && f.variant === 'sms', (f) => f.flow === 'mfaVerify' && f.variant === 'sms'] },
    { way: 'code by call (US)', parts: [(f) => f.flow === 'mfaPhoneSend' && f.variant === 'voice', (f) => f.flow === 'mfaVerify' && f.variant === 'voice'] },
  ];
  return ways.map(({ way, parts }) => {
    const lines: CostLine[] = [];
    const missing: string[] = [];
    for (const part of [...common, ...parts]) {
      const f = flows.find(part);
      if (!f) continue;
      if (f.status !== 'measured') missing.push(f.label.trim());
      else lines.push(operationCost(f, { http: true, count: 1000 }));
    }
    return { way, lines, total: lines.reduce((sum, l) => sum + l.total, 0), missing, complete: lines.length === common.length + parts.length };
  });
}

export const usd = (value: number) => (value === 0 ? '$0' : value < 0.0001 ? `$${value.toExponential(2)}` : `$${value.toFixed(4)}`);
