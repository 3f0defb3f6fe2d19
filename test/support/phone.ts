import { expect } from 'vitest';
import { phoneMessages } from './stack';

/** A fresh French mobile number per test, so the per-number caps of one test never meet another's. */
export const freshNumber = () => `+336${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

/** The code in the newest of the `count` messages to `to`: a text's six digits, or a call's digits read one by one. */
export async function latestPhoneCode(to: string, count: number): Promise<{ code: string; channel: string }> {
  const messages = await phoneMessages(to);
  expect(messages).toHaveLength(count);
  const last = messages.at(-1)!;
  const digits = (last.channel === 'voice' ? (last.transcript ?? last.body) : last.body).replace(/\D+/g, ' ');
  const code = /\b(\d{6})\b/.exec(digits)?.[1] ?? /(?:\b\d\b ?){6}/.exec(digits)?.[0].replace(/\s/g, '');
  if (!code) throw new Error(`no code in the message to ${to}`);
  return { code, channel: last.channel };
}
