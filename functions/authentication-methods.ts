import { documentClient } from '../lib/aws';
import { getConfig } from '../lib/config';
import {
  createMethod,
  createMethodSchema,
  deleteMethod,
  getGuardianEnrollment,
  getMethod,
  listMethods,
  pagingOf,
  replaceMethods,
  replaceMethodsSchema,
  updateMethod,
  updateMethodSchema,
  type MethodsDeps,
} from '../lib/enrollment/authentication-methods';
import { EnrollmentStore } from '../lib/enrollment/enrollment-store';
import { FactorSwitchStore } from '../lib/factors/switches';
import { emailImport } from '../lib/factors/email/import';
import { allowedCountriesSetting } from '../lib/factors/phone/number';
import { phoneImport } from '../lib/factors/phone/import';
import { totpImport } from '../lib/factors/totp/import';
import { passkeyImport, securityKeyImport } from '../lib/factors/webauthn/import';
import { notFound } from '../lib/errors';
import { adminRoute, json, parseJsonBody, type HttpEvent, type HttpResult } from '../lib/http';
import { logger } from '../lib/log';
import { MfaStore } from '../lib/mfa/mfa-store';
import { deleteAllAuthenticators } from '../lib/mfa/user-mfa';

const config = getConfig('adminKeyHashes', 'encryptionKeys');
const db = documentClient(config);
const enrollments = new EnrollmentStore(db, config.tableName);
const now = () => Date.now();
const deps: MethodsDeps = {
  enrollments,
  switches: new FactorSwitchStore(db, config.tableName),
  // PHONE_ALLOWED_COUNTRIES: an imported number must be one a code can go to (checked at cold start, loudly).
  importers: [totpImport, securityKeyImport, passkeyImport, emailImport, phoneImport(allowedCountriesSetting(process.env))],
  config: { encryptionKeys: config.encryptionKeys, rpId: config.webauthn?.rpId },
  now,
};
const mfaStore = new MfaStore(db, config.tableName);
const noContent: HttpResult = { statusCode: 204, headers: { 'cache-control': 'no-store' } };

/**
 * The vendor's Management API for a user's factors, one function (a small router on the route key):
 * `/api/v2/users/{user_id}/authentication-methods` (GET list, POST import one, PUT replace all, DELETE all),
 * `…/{method_id}` (GET, PATCH name, DELETE) and `GET /api/v2/guardian/enrollments/{id}`. Never a secret in an answer.
 */
const routes: Record<string, (event: HttpEvent, userId: string, methodId: string) => Promise<HttpResult>> = {
  'GET /api/v2/users/{user_id}/authentication-methods': async (event, userId) =>
    json(200, await listMethods(deps, userId, pagingOf(event.queryStringParameters))),
  'POST /api/v2/users/{user_id}/authentication-methods': async (event, userId) => {
    const created = await createMethod(deps, userId, parseJsonBody(event, createMethodSchema));
    logger.info('authentication method imported', { enrollmentId: created.id, type: created.type });
    return json(201, created);
  },
  'PUT /api/v2/users/{user_id}/authentication-methods': async (event, userId) => {
    const set = await replaceMethods(deps, userId, parseJsonBody(event, replaceMethodsSchema, 'array'));
    logger.info('authentication methods replaced', { count: set.length });
    return json(200, set);
  },
  'DELETE /api/v2/users/{user_id}/authentication-methods': async (_event, userId) => {
    const removed = await deleteAllAuthenticators({ store: mfaStore, enrollments, now }, userId);
    logger.info('authentication methods deleted', { removed });
    return noContent;
  },
  'GET /api/v2/users/{user_id}/authentication-methods/{method_id}': async (_event, userId, methodId) =>
    json(200, await getMethod(deps, userId, methodId)),
  'PATCH /api/v2/users/{user_id}/authentication-methods/{method_id}': async (event, userId, methodId) =>
    json(200, await updateMethod(deps, userId, methodId, parseJsonBody(event, updateMethodSchema))),
  'DELETE /api/v2/users/{user_id}/authentication-methods/{method_id}': async (_event, userId, methodId) => {
    await deleteMethod(deps, userId, methodId);
    logger.info('authentication method deleted', { enrollmentId: methodId });
    return noContent;
  },
  'GET /api/v2/guardian/enrollments/{id}': async (event) => json(200, await getGuardianEnrollment(deps, event.pathParameters?.id ?? '')),
};

export const handler = adminRoute(config, async (event) => {
  const handle = routes[event.routeKey];
  if (!handle) throw notFound('not_found', `${event.routeKey}: no such route`);
  return handle(event, event.pathParameters?.user_id ?? '', event.pathParameters?.method_id ?? '');
});
