import { badRequest, notFound } from '../errors';
import { viewOf } from '../factors/registry';
import type { EnrollmentStore, EnrollmentSummary } from './enrollment-store';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * An enrollment as `GET /api/v2/users/{user_id}/enrollments` shows it, in the vendor's shape (`id`, `status`, `type`,
 * `name`, `enrolled_at`, `auth_method`, `identifier` for an address) plus `created_at`. Never the secret or the recovery code hash. `type` and
 * `auth_method` are the factor's (its descriptor's `view`, lib/factors/registry.ts).
 */
export function enrollmentView(enrollment: EnrollmentSummary) {
  const view = viewOf(enrollment.factor, enrollment);
  return {
    id: enrollment.enrollment_id,
    status: enrollment.status,
    type: view.type,
    auth_method: view.auth_method,
    name: enrollment.name,
    // The vendor's `identifier`: the enrolled address or number, masked (`a•••@example.com`); absent for an app or key.
    identifier: view.maskedIdentifier?.(enrollment),
    created_at: iso(enrollment.created_at),
    enrolled_at: iso(enrollment.created_at),
  };
}

export const enrollmentNotFound = (id: string) => notFound('enrollment_not_found', `id: no enrollment ${id}`);

/** Users are created with 1–256 characters (create-ticket's schema); anything else cannot have enrollments, and an
 * over-long id would exceed DynamoDB's key size and fail there instead of here. */
export async function listEnrollments(store: Pick<EnrollmentStore, 'listForUser'>, userId: string) {
  if (userId.length === 0 || userId.length > 256) {
    throw badRequest('invalid_user_id', 'user_id: must be 1 to 256 characters');
  }
  return (await store.listForUser(userId)).map(enrollmentView);
}

/** Removes one enrollment; the user may then be issued a ticket without `allow_multiple_enrollments` again. */
export async function deleteEnrollment(store: Pick<EnrollmentStore, 'delete'>, enrollmentId: string, now: number): Promise<void> {
  if (!(await store.delete(enrollmentId, now))) throw enrollmentNotFound(enrollmentId);
}
