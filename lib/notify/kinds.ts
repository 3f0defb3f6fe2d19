/**
 * The security notifications a user can be sent (docs/EMAIL.md "Security notifications"). No dependencies: the
 * configuration validates SECURITY_NOTIFICATIONS against this list without loading the notifier.
 */
export const SECURITY_NOTIFICATION_KINDS = [
  /** An authenticator was enrolled (Enrollment Created). */
  'added',
  /** An authenticator was removed, by an admin or through the API (Enrollment Deleted). */
  'removed',
  /** A login used a recovery code, which issued a new one (MFA Challenge Accepted with the recovery code). */
  'recovery_code_used',
  /** Wrong codes spent the user's failure budget (MFA User Locked Out). */
  'locked_out',
  /**
   * Remembered browsers forgotten. No lifecycle event produces it yet: when that feature adds its event to
   * lib/events/catalog.ts, one line in lib/notify/notifications.ts `kindOf`, its sentences in each locale's security/strings.liquid and MAILED_KINDS (lib/notify/templates.ts) send it.
   */
  'browsers_forgotten',
] as const;
export type SecurityNotificationKind = (typeof SECURITY_NOTIFICATION_KINDS)[number];
