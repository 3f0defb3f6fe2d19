import { notFound } from '../errors';
import { json, parseJsonBody, type HttpEvent, type HttpResult } from '../http';
import { logger } from '../log';
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
} from './authentication-methods';

export interface MethodRoutesDeps extends MethodsDeps {
  /** DELETE all: the one path that removes every authenticator of a user (lib/mfa/user-mfa.ts, passed by the handler). */
  deleteAll(userId: string): Promise<number>;
}

const noContent: HttpResult = { statusCode: 204, headers: { 'cache-control': 'no-store' } };

/**
 * The vendor's Management API for a user's factors, one function (a small router on the route key):
 * `/api/v2/users/{user_id}/authentication-methods` (GET list, POST import one, PUT replace all, DELETE all),
 * `…/{method_id}` (GET, PATCH name and way, DELETE) and `GET /api/v2/guardian/enrollments/{id}`. Never a secret in an
 * answer.
 */
export function authenticationMethodRoutes(deps: MethodRoutesDeps): (event: HttpEvent) => Promise<HttpResult> {
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
      const removed = await deps.deleteAll(userId);
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
  return async (event) => {
    const handle = routes[event.routeKey];
    if (!handle) throw notFound('not_found', `${event.routeKey}: no such route`);
    return handle(event, event.pathParameters?.user_id ?? '', event.pathParameters?.method_id ?? '');
  };
}
