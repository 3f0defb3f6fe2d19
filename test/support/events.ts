import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import base from '../fixtures/events/http-api-v2.json';

/** An API Gateway HTTP API (payload 2.0) event, from the real-shaped fixture with the given parts replaced. */
export function httpEvent(parts: Partial<APIGatewayProxyEventV2> & { method?: string; path?: string }): APIGatewayProxyEventV2 {
  const { method = 'POST', path = '/tickets', ...rest } = parts;
  const event = structuredClone(base) as unknown as APIGatewayProxyEventV2;
  event.rawPath = path;
  event.routeKey = `${method} ${path}`;
  event.requestContext.http.method = method;
  event.requestContext.http.path = path;
  return { ...event, ...rest, headers: { ...event.headers, ...rest.headers } } as APIGatewayProxyEventV2;
}
