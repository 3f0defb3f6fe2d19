import type { DynamoDBDocumentClient, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { isIPv4, isIPv6 } from 'node:net';
import type { KeyRing } from '../../config';
import { keyedDigest } from '../../crypto/keyed-hash';
import { transactWrite, type CancellationReason } from '../../dynamodb-transactions';
import { destinationSendUpdate, rateRefusal, type DestinationRate, type SendCap } from '../../delivered-code/destination-rate';
import { countSetting, DEFAULT_SEND_LIMITS, type SendDecision, type SendLimits, type SendRefusalReason } from '../../delivered-code/send-limits';

/**
 * The phone factor's send limits. A text or a call costs money, and SMS pumping (toll fraud: a script makes a service
 * text numbers whose carrier shares the termination fee with the fraudster) turns an open "Text me a code" button into
 * a bill, so on top of the delivered-code rules (lib/delivered-code/send-limits.ts: nothing before a click, a 30 s
 * cooldown and 5 sends per ticket or challenge) every send takes one slot from each of:
 *
 * | cap | window | setting | default |
 * | --- | --- | --- | --- |
 * | per number | clock hour | PHONE_CODE_MAX_PER_NUMBER_PER_HOUR | 3 |
 * | per number | UTC day | PHONE_CODE_MAX_PER_NUMBER_PER_DAY | 10 |
 * | per user | UTC day | PHONE_CODE_MAX_PER_USER_PER_DAY | 10 |
 * | per source address (IPv4, or IPv6 /64) | clock hour | PHONE_CODE_MAX_PER_SOURCE_PER_HOUR | 20 |
 * | the whole stack | clock hour | PHONE_SENDS_PER_HOUR | 200 |
 *
 * All of them, and the caller's own ticket or challenge condition, are one DynamoDB transaction
 * (`phoneSendTransaction`): a send takes every slot or none, so a refusal by one cap spends nothing from the others
 * (else anyone could use up a victim's number or the stack's budget with requests refused elsewhere). Counters key on
 * keyed hashes of the number, the user id and the source address: no number or address is ever in a key.
 */
export interface PhoneSendLimits extends SendLimits {
  maxPerNumberPerHour: number;
  maxPerNumberPerDay: number;
  maxPerUserPerDay: number;
  maxPerSourcePerHour: number;
  /** The stack-wide budget: texts and calls per clock hour, all users together. */
  maxPerHour: number;
}

export const DEFAULT_PHONE_SEND_LIMITS: PhoneSendLimits = {
  ...DEFAULT_SEND_LIMITS,
  maxPerNumberPerHour: 3,
  maxPerNumberPerDay: 10,
  maxPerUserPerDay: 10,
  maxPerSourcePerHour: 20,
  maxPerHour: 200,
};

/** The limits from the environment, failing loudly at cold start on a malformed setting. */
export function phoneSendLimitsFromEnv(env: NodeJS.ProcessEnv): PhoneSendLimits {
  const d = DEFAULT_PHONE_SEND_LIMITS;
  return {
    ...DEFAULT_SEND_LIMITS,
    maxPerNumberPerHour: countSetting(env, 'PHONE_CODE_MAX_PER_NUMBER_PER_HOUR', d.maxPerNumberPerHour),
    maxPerNumberPerDay: countSetting(env, 'PHONE_CODE_MAX_PER_NUMBER_PER_DAY', d.maxPerNumberPerDay),
    maxPerUserPerDay: countSetting(env, 'PHONE_CODE_MAX_PER_USER_PER_DAY', d.maxPerUserPerDay),
    maxPerSourcePerHour: countSetting(env, 'PHONE_CODE_MAX_PER_SOURCE_PER_HOUR', d.maxPerSourcePerHour),
    maxPerHour: countSetting(env, 'PHONE_SENDS_PER_HOUR', d.maxPerHour, 1_000_000),
  };
}

/** Whose slots a send takes: keyed hashes (`numberKey` in ./number.ts, `userRateKey`, `sourceRateKey`). */
export interface PhoneSendKeys {
  number: string;
  user: string;
  /** Absent when the request has no source address (a direct invocation): that cap is then not counted. */
  source?: string;
}

/** The stack-wide counter's partition: the same item for every send. */
const STACK = 'stack';

/** The per-number hourly cap: the one every code sender counts its destination under (`CodeSender.rate`). */
export const phoneNumberHourRate = (limits: Pick<PhoneSendLimits, 'maxPerNumberPerHour'>): DestinationRate => ({
  prefix: 'PHONEHOUR',
  type: 'phone-rate',
  max: limits.maxPerNumberPerHour,
  window: 'hour',
});

/** The caps besides the number's hour (`CodeSender.caps`, `CodeDelivery.caps`): the number's day, the user's, the source's, the stack's. */
export function phoneExtraCaps(limits: PhoneSendLimits, keys: PhoneSendKeys): SendCap[] {
  const all: Array<{ rate: DestinationRate; key: string | undefined; reason: SendRefusalReason }> = [
    { rate: { prefix: 'PHONEDAY', type: 'phone-rate', max: limits.maxPerNumberPerDay, window: 'day' }, key: keys.number, reason: 'destination' },
    { rate: { prefix: 'PHONEUSER', type: 'phone-rate', max: limits.maxPerUserPerDay, window: 'day' }, key: keys.user, reason: 'user' },
    { rate: { prefix: 'PHONESOURCE', type: 'phone-rate', max: limits.maxPerSourcePerHour, window: 'hour' }, key: keys.source, reason: 'source' },
    { rate: { prefix: 'PHONEBUDGET', type: 'phone-rate', max: limits.maxPerHour, window: 'hour' }, key: STACK, reason: 'budget' },
  ];
  return all.filter((c): c is SendCap => c.key !== undefined);
}

/** `phoneExtraCaps` for a send asked for by `requester` to the number keyed `number` (`numberKey`). */
export const requesterCaps = (limits: PhoneSendLimits, number: string, requester: { userId: string; sourceIp?: string }, keys: KeyRing): SendCap[] =>
  phoneExtraCaps(limits, {
    number,
    user: userRateKey(requester.userId, keys),
    source: requester.sourceIp ? sourceRateKey(requester.sourceIp, keys) : undefined,
  });

/** Each cap: its counter (lib/delivered-code/destination-rate.ts), whose key it counts under, and what a refusal says. */
const counters = (limits: PhoneSendLimits, keys: PhoneSendKeys): SendCap[] => [
  { rate: phoneNumberHourRate(limits), key: keys.number, reason: 'destination' },
  ...phoneExtraCaps(limits, keys),
];

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The one TransactWriteItems list of a send: `own` first (the caller's conditional write on its ticket or challenge:
 * the new pending code under `pendingSendCondition`), then one conditional ADD per cap. Committed, the send may go
 * out; cancelled, nothing changed anywhere.
 */
export function phoneSendTransaction(tableName: string, limits: PhoneSendLimits, keys: PhoneSendKeys, now: number, own?: TransactItem): TransactItem[] {
  return [
    ...(own ? [own] : []),
    ...counters(limits, keys).map(({ rate, key }) => ({ Update: destinationSendUpdate(tableName, rate, key, now) })),
  ];
}

/**
 * What a send attempt came to: taken; refused by a cap (`refusal`, for `tooManySends`); or refused by the caller's
 * own condition (`own`: its cancellation reason, with the item when the caller asked for it with
 * `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`, to tell a cooldown from used-up sends with `checkPendingSend`).
 */
export type PhoneSendOutcome =
  | { ok: true }
  | { ok: false; refusal: SendDecision & { ok: false } }
  | { ok: false; own: CancellationReason };

export class PhoneSendLimiter {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly limits: PhoneSendLimits,
  ) {}

  /**
   * Takes a slot from every cap (and commits `own`), or none. A cap that refuses answers with the longest wait among
   * the caps that refused (the user needs all of them). Other failures (throttling, network) are thrown: the caller
   * sends nothing then.
   */
  async take(keys: PhoneSendKeys, now: number, own?: TransactItem): Promise<PhoneSendOutcome> {
    const reasons = await transactWrite(this.db, { TransactItems: phoneSendTransaction(this.tableName, this.limits, keys, now, own) });
    if (!reasons) return { ok: true };
    const offset = own ? 1 : 0;
    if (own && reasons[0]?.Code === 'ConditionalCheckFailed') return { ok: false, own: reasons[0] };
    let refusal: (SendDecision & { ok: false }) | undefined;
    counters(this.limits, keys).forEach(({ rate, reason }, i) => {
      if (reasons[i + offset]?.Code !== 'ConditionalCheckFailed') return;
      const candidate = rateRefusal(rate, now, reason);
      if (!refusal || candidate.retry_after_sec > refusal.retry_after_sec) refusal = candidate;
    });
    // Cancelled with no condition failed: other sends held the counters through every retry. Nothing was taken.
    return { ok: false, refusal: refusal ?? { ok: false, reason: 'busy', retry_after_sec: 1 } };
  }
}

/** HKDF `info`s of the user and source keys: distinct from each other and from every other keyed digest. */
const USER_KEY_INFO = 'mfa-tickets phone-user rate-key hmac-sha256 v1';
const SOURCE_KEY_INFO = 'mfa-tickets source-address rate-key hmac-sha256 v1';

const rateKey = (info: string, keys: KeyRing, value: string) => `${keys.current.id}.${keyedDigest(info, keys.current, [value]).toString('base64url')}`;

/** The per-user counter's partition: a keyed hash of the user id (an id may be an email address or a number). */
export const userRateKey = (userId: string, keys: KeyRing) => rateKey(USER_KEY_INFO, keys, userId);

/**
 * The per-source counter's partition: a keyed hash of the request's source address. IPv6 counts per /64, the block a
 * single subscriber usually gets: counting whole addresses would give one attacker 2^64 caps.
 */
export const sourceRateKey = (sourceIp: string, keys: KeyRing) => rateKey(SOURCE_KEY_INFO, keys, sourceBlock(sourceIp));

/** An IPv4 address as it is (IPv4-mapped IPv6 too), an IPv6 address as its /64 (`2001:db8:0:1::/64`), anything else as given. */
export function sourceBlock(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail] = ip.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const full = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${full.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}
