import { enrollmentContext } from '../lib/enrollment';
import { listEnrollments } from '../lib/enrollment/admin';
import { adminRoute, json } from '../lib/http';

const { config, enrollments } = enrollmentContext('adminKeyHashes');

/** GET /api/v2/users/{user_id}/enrollments: the user's confirmed authenticators, as the vendor lists them; never secrets. */
export const handler = adminRoute(config, async (event) => {
  const userId = event.pathParameters?.user_id ?? '';
  return json(200, await listEnrollments(enrollments, userId));
});
