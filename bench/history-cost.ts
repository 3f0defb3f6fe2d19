/**
 * `npx tsx bench/history-cost.ts`: the extra cost of the MFA history (lib/history, docs/HISTORY.md) per 1,000
 * enrollments and per 1,000 MFA logins, priced as bench/cost.ts prices the flows (same PRICES). Computed, not run:
 * the history adds one conditional PutItem per lifecycle event, sized here from the items the recorder writes for
 * the same records the catalog's tests use, and Lambda time for the recorder at its configured memory.
 *
 * Events per enrollment (the bench's enrollment: create + email + page + start + confirm): Ticket Created, Ticket
 * Email Sent, Ticket Redeemed, Enrollment Created. Per login (challenge + page + right code): MFA Challenge Accepted.
 */
import { historyItemsOf } from '../lib/history/history';
import { transitions } from '../test/support/lifecycle-records';
import { PRICES, usd } from './cost';

/** DynamoDB's item size: attribute names plus values (strings as UTF-8, numbers ~1 byte per 2 digits + 1). */
function itemBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace(/[.-]/g, '').length / 2) + 1;
  if (typeof value === 'boolean' || value === null) return 1;
  if (typeof value === 'object') {
    return 3 + Object.entries(value as Record<string, unknown>).reduce((n, [k, v]) => (v === undefined ? n : n + Buffer.byteLength(k) + itemBytes(v)), 0);
  }
  return 0;
}

const origin = { via: 'admin', ip: '203.0.113.7', ua_summary: 'Chrome on macOS', at: 1 };
const wruOf = (detailType: string) => {
  const [, rec] = transitions.find(([t]) => t === detailType)!;
  const [item] = historyItemsOf(rec, 90);
  // With the longest source the item can carry (an IPv6 address would add ~30 bytes: still one WRU).
  const bytes = itemBytes({ ...item, ip: origin.ip, user_agent: origin.ua_summary, via: 'admin' }) - 3;
  return { bytes, wru: Math.ceil(bytes / 1024) };
};

/** The recorder's Lambda time per event: ASSUMED, one conditional put ≈ the create ticket's PutItem share of its time. */
const MS_PER_EVENT = 10;
const MEMORY_MB = 256;

function per1000(detailTypes: string[], batched: boolean) {
  const sizes = detailTypes.map(wruOf);
  const wru = sizes.reduce((n, s) => n + s.wru, 0);
  const dynamodb = (wru * PRICES.dynamoPerMillionWru * 1000) / 1e6;
  const gbSeconds = (MEMORY_MB / 1024) * (MS_PER_EVENT / 1000) * detailTypes.length;
  const lambda = gbSeconds * PRICES.lambdaGbSecondArm * 1000;
  // Worst case: each record its own invocation (a quiet table); under load a batch of up to 50 shares one.
  const invocations = batched ? detailTypes.length / 50 : detailTypes.length;
  const requests = (invocations * PRICES.lambdaPerMillionRequests * 1000) / 1e6;
  return { sizes, wru, dynamodb, lambda, requests, total: dynamodb + lambda + requests };
}

const ENROLLMENT = ['Ticket Created', 'Ticket Email Sent', 'Ticket Redeemed', 'Enrollment Created'];
const LOGIN = ['MFA Challenge Accepted'];
const lines = ['| per 1,000 | events | WRU | DynamoDB | Lambda GB-s | Lambda requests (one per record / batches of 50) | total (worst case) |', '|---|---|---|---|---|---|---|'];
for (const [label, types] of [['enrollments', ENROLLMENT], ['MFA logins', LOGIN]] as const) {
  const worst = per1000([...types], false);
  const batched = per1000([...types], true);
  lines.push(`| ${label} | ${types.length} | ${worst.wru} | ${usd(worst.dynamodb)} | ${usd(worst.lambda)} | ${usd(worst.requests)} / ${usd(batched.requests)} | ${usd(worst.total)} |`);
}
console.log(`Item sizes: ${[...ENROLLMENT, ...LOGIN].map((t) => `${t} ${wruOf(t).bytes} B`).join(', ')}.`);
console.log(`Prices ${PRICES.region}, ${PRICES.date}; recorder ${MS_PER_EVENT} ms per event at ${MEMORY_MB} MB (assumed).\n`);
console.log(lines.join('\n'));
