import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { getConfig, mailerConfig } from '../../lib/config';
import type { EmailDeliveryStore } from '../../lib/email/delivery-store';
import { handleEmailRecord, RetryableEmailError } from '../../lib/email/mailer';
import type { TicketRecord } from '../../lib/tickets/ticket';
import insertFixture from '../fixtures/events/dynamodb-stream-insert-send-mail.json';

// The locale check the mailer makes on a locale's first use, failing once, as a broken template set would.
const check = vi.hoisted(() => ({ failures: 1 }));
vi.mock('../../lib/email/templates', async (original) => {
  const actual = await original<typeof import('../../lib/email/templates')>();
  return {
    ...actual,
    prepareTemplates: (locale: Parameters<typeof actual.prepareTemplates>[0]) => {
      if (check.failures-- > 0) throw new Error(`templates/email/${locale}: the subject must not be empty`);
      actual.prepareTemplates(locale);
    },
  };
});

describe('mailer: templates compiled and checked per locale on first use', () => {
  it('holds an email back (retried, not failed) while its locale fails the check, and sends it once it passes', async () => {
    const record = structuredClone(insertFixture.Records[0]) as unknown as DynamoDBRecord;
    const ticket = unmarshall(record.dynamodb!.NewImage as never) as TicketRecord;
    const deliveries = {
      claim: vi.fn(async () => ({ ok: true as const, ticket })),
      recordFailed: vi.fn(async () => true),
      recordSent: vi.fn(async () => true),
    };
    const ses = { send: vi.fn(async () => ({ MessageId: 'm-1' })) };
    const deps = { ses: ses as never, deliveries: deliveries as unknown as EmailDeliveryStore, config: mailerConfig(getConfig('signingKeys')), now: () => ticket.created_at + 1000 };

    await expect(handleEmailRecord(deps, record)).rejects.toBeInstanceOf(RetryableEmailError);
    expect(ses.send).not.toHaveBeenCalled();
    expect(deliveries.recordFailed).not.toHaveBeenCalled();

    await expect(handleEmailRecord(deps, record)).resolves.toBe('sent');
    expect(ses.send).toHaveBeenCalledTimes(1);
    expect(deliveries.recordSent).toHaveBeenCalledTimes(1);
  });
});
