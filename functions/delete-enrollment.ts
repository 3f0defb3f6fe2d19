import { enrollmentContext } from '../lib/enrollment';
import { deleteEnrollment, enrollmentNotFound } from '../lib/enrollment/admin';
import { isEnrollmentId } from '../lib/store/records';
import { adminRoute } from '../lib/http';
import { logger } from '../lib/log';

const { config, enrollments, now } = enrollmentContext('adminKeyHashes');

/** DELETE /api/v2/guardian/enrollments/{id}: removes one authenticator; 204 as the vendor answers, 404 when unknown. */
export const handler = adminRoute(config, async (event) => {
  const id = event.pathParameters?.id ?? '';
  if (!isEnrollmentId(id)) throw enrollmentNotFound(id);
  await deleteEnrollment(enrollments, id, now());
  logger.info('enrollment deleted', { enrollmentId: id });
  return { statusCode: 204, headers: { 'cache-control': 'no-store' } };
});
