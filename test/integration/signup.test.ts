import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import forgotPassword from '../fixtures/events/cognito-post-confirmation-forgot-password.json';
import confirmSignUp from '../fixtures/events/cognito-post-confirmation-signup.json';
import userSignedUp from '../fixtures/events/eventbridge-user-signed-up.json';
import { emailsTo, eventually, invoke } from '../support/lambda';
import { db, stack, uniqueUser } from '../support/stack';

/** The real-shaped Cognito event for a new user of our own (each test has its own `sub` and address). */
function cognitoEvent(fixture: typeof confirmSignUp, label: string) {
  const event = structuredClone(fixture);
  const sub = uniqueUser(label);
  event.userName = sub;
  event.request.userAttributes.sub = sub;
  event.request.userAttributes.email = `${sub}@example.com`;
  event.request.userAttributes['cognito:email_alias'] = `${sub}@example.com`;
  return { event, sub, email: `${sub}@example.com` };
}

async function ticketsOf(userId: string): Promise<Record<string, any>[]> {
  const items: Record<string, any>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: stack.tableName,
        FilterExpression: '#type = :ticket AND user_id = :user',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':ticket': 'ticket', ':user': userId },
        ExclusiveStartKey,
        ConsistentRead: true,
      }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

const marker = async (userId: string) =>
  (await db.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `IDEMPOTENCY#signup:${userId}`, sk: 'IDEMPOTENCY' }, ConsistentRead: true }))).Item;

/** The mailer reads the table's stream with a lag of about a second: wait for it, then make sure nothing more comes. */
async function exactlyOneEmail(address: string) {
  const [email] = await eventually(async () => {
    const found = await emailsTo(address);
    return found.length > 0 ? found : undefined;
  }, 20_000, `an email to ${address}`);
  await new Promise((r) => setTimeout(r, 3000));
  expect(await emailsTo(address)).toHaveLength(1);
  return email!;
}

describe('tickets issued on signup, through the signup function on the local stack', () => {
  it('Cognito ConfirmSignUp → one pending ticket and one email; delivered again → still one of each', async () => {
    const { event, sub, email } = cognitoEvent(confirmSignUp, 'cognito');
    expect(await invoke('onUserSignup', event)).toEqual(event); // the trigger hands the event back unchanged

    const [ticket, ...others] = await ticketsOf(sub);
    expect(others).toEqual([]);
    expect(ticket).toMatchObject({ user_id: sub, email, status: 'pending', send_mail: true, email_locale: 'fr', factor: 'otp' });
    expect(await marker(sub)).toMatchObject({ ticket_id: ticket!.ticket_id });
    const mail = await exactlyOneEmail(email);
    expect(mail.body.text ?? mail.body.html).toContain(ticket!.ticket_id);

    // Cognito retries a trigger it thinks failed: the same signup again, and twice at once.
    expect(await invoke('onUserSignup', event)).toEqual(event);
    await Promise.all([invoke('onUserSignup', event), invoke('onUserSignup', event)]);
    expect((await ticketsOf(sub)).map((t) => t.ticket_id)).toEqual([ticket!.ticket_id]);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await emailsTo(email)).toHaveLength(1);
  });

  it('Cognito ConfirmForgotPassword → nothing', async () => {
    const { event, sub, email } = cognitoEvent(forgotPassword as typeof confirmSignUp, 'forgot');
    expect(await invoke('onUserSignup', event)).toEqual(event);
    expect(await ticketsOf(sub)).toEqual([]);
    expect(await marker(sub)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await emailsTo(email)).toEqual([]);
  });

  it('a forged EventBridge "User Signed Up" naming the forger\'s address → no ticket, no email, nothing to block the real one', async () => {
    // The local stack, like a default deploy, does not trust an event's address (SIGNUP_TRUST_EVENT_EMAIL unset) and
    // has no user pool to look the user up in: the event cannot direct a ticket anywhere.
    const victim = uniqueUser('victim');
    const forger = `${uniqueUser('forger')}@evil.example`;
    const event = { ...structuredClone(userSignedUp), detail: { user_id: victim, email: forger } };
    await expect(invoke('onUserSignup', event)).resolves.toBeDefined();

    expect(await ticketsOf(victim)).toEqual([]);
    expect(await marker(victim)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 2500)); // the mailer's stream lag
    expect(await emailsTo(forger)).toEqual([]);
  });

  it('EventBridge event with an invalid detail → dropped without an error (no retries), nothing written', async () => {
    const userId = uniqueUser('invalid');
    const event = { ...structuredClone(userSignedUp), detail: { user_id: userId, email: 'not-an-email' } };
    await expect(invoke('onUserSignup', event)).resolves.toBeDefined();
    expect(await ticketsOf(userId)).toEqual([]);
    expect(await marker(userId)).toBeUndefined();
  });
});
