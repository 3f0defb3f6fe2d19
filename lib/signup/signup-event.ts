import * as v from 'valibot';
import { emailSchema } from '../tickets/create-ticket';
import { plainMessage } from '../validation';

/**
 * The two ways a signup reaches us, as valibot schemas of exactly the fields we read (this module knows nothing of
 * `aws-lambda` types; see test/fixtures/events/ for the full shapes AWS sends).
 */

/** Cognito User Pool trigger event: PostConfirmation fires for a confirmed signup *and* a confirmed password reset. */
const cognitoTriggerSchema = v.object({
  triggerSource: v.string(),
  userPoolId: v.string(),
  userName: v.pipe(v.string(), v.minLength(1)),
  request: v.object({ userAttributes: v.record(v.string(), v.string()) }),
});

/** EventBridge envelope: any custom event delivered to the function by its rule. */
const eventBridgeSchema = v.object({
  'id': v.string(),
  'source': v.string(),
  'detail-type': v.string(),
  'detail': v.unknown(),
});

export const SIGNUP_DETAIL_TYPE = 'User Signed Up';

/**
 * The contract for teams on another identity system (docs/SIGNUP-AND-SWEEP.md): one event per new user. Unknown
 * fields are ignored so publishers can add their own; a malformed one is dropped, since retrying cannot fix it.
 */
export const signupDetailSchema = v.object({
  user_id: v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'), v.maxLength(256, 'must be at most 256 characters')),
  email: v.optional(emailSchema),
  locale: v.optional(v.pipe(v.string(), v.maxLength(35))),
});
export type SignupDetail = v.InferOutput<typeof signupDetailSchema>;

/** A new user to issue a ticket for, whichever way it arrived. */
export interface Signup {
  via: 'cognito' | 'eventbridge';
  userId: string;
  /**
   * The address the event carries: Cognito's only when verified; an EventBridge event's is the publisher's word, used
   * only when the deploy trusts it (`SignupConfig.trustEventEmail`, see `issueSignupTicket`).
   */
  email: string | undefined;
  /** The user's own locale if they have one (Cognito `locale` attribute, or the event's `locale`); not yet validated. */
  locale: string | undefined;
}

export type ParsedSignupEvent =
  | { kind: 'signup'; signup: Signup }
  /** Delivered to us but not a signup (a confirmed password reset, another detail-type or source): nothing to do. */
  | { kind: 'ignored'; via: Signup['via'] | 'unknown'; reason: string }
  /** A signup event we cannot act on: logged and dropped, never retried. */
  | { kind: 'invalid'; via: Signup['via'] | 'unknown'; reason: string };

/**
 * Cognito: `PostConfirmation_ConfirmSignUp` only. The ticket's `user_id` is the user's `sub` (immutable, never reused,
 * the `sub` claim of every token Cognito issues, and accepted by AdminGetUser); `userName` only when `sub` is absent.
 * The email only when Cognito says it is verified (`email_verified` is the string "true"): a pool that confirms users
 * by phone, or an admin-created user, may carry an address nobody proved they own, and the link must not go there.
 */
function fromCognito(event: v.InferOutput<typeof cognitoTriggerSchema>): ParsedSignupEvent {
  if (event.triggerSource !== 'PostConfirmation_ConfirmSignUp') {
    return { kind: 'ignored', via: 'cognito', reason: `triggerSource ${event.triggerSource}` };
  }
  const attributes = event.request.userAttributes;
  return {
    kind: 'signup',
    signup: {
      via: 'cognito',
      userId: attributes.sub || event.userName,
      email: attributes.email_verified === 'true' ? attributes.email : undefined,
      locale: attributes.locale,
    },
  };
}

function fromEventBridge(event: v.InferOutput<typeof eventBridgeSchema>, expectedSource: string): ParsedSignupEvent {
  if (event['detail-type'] !== SIGNUP_DETAIL_TYPE || event.source !== expectedSource) {
    return { kind: 'ignored', via: 'eventbridge', reason: `${event.source} / ${event['detail-type']}` };
  }
  const detail = v.safeParse(signupDetailSchema, event.detail, { abortEarly: true, message: plainMessage });
  if (!detail.success) {
    const issue = detail.issues[0];
    return { kind: 'invalid', via: 'eventbridge', reason: `detail.${v.getDotPath(issue) ?? ''}: ${issue.message}` };
  }
  const { user_id, email, locale } = detail.output;
  return { kind: 'signup', signup: { via: 'eventbridge', userId: user_id, email, locale } };
}

/** Tells a Cognito trigger from an EventBridge event and extracts the signup, if it is one. */
export function parseSignupEvent(event: unknown, expectedSource: string): ParsedSignupEvent {
  const cognito = v.safeParse(cognitoTriggerSchema, event, { abortEarly: true });
  if (cognito.success) return fromCognito(cognito.output);
  const bridged = v.safeParse(eventBridgeSchema, event, { abortEarly: true });
  if (bridged.success) return fromEventBridge(bridged.output, expectedSource);
  return { kind: 'invalid', via: 'unknown', reason: 'neither a Cognito trigger nor an EventBridge event' };
}
