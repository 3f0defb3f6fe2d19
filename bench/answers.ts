/**
 * Is an HTTP answer a success? A status alone does not say: an emulator (or a misconfigured gateway) can wrap a failed
 * invocation in a 2xx, as serverless-offline's worker runner did with `200 {"errorMessage":"[504] - Lambda timeout."}`.
 * So the bench reads the body too, and counts an error body as an error whatever the status.
 */

/** Why an answer is a failure, as a short stable label (counted by kind in the report); undefined when it is not. */
export function failureOf(status: number, body: string, expectBody?: (json: Record<string, unknown>) => boolean): string | undefined {
  if (status < 200 || status >= 300) return `HTTP ${status}`;
  const json = parseObject(body);
  const errorBody = json && errorBodyKind(json);
  if (errorBody) return `HTTP ${status} with ${errorBody}`;
  if (expectBody && !(json && expectBody(json))) return `HTTP ${status} with an unexpected body`;
  return undefined;
}

/**
 * The error bodies a 2xx must never carry: a Lambda error result (`errorMessage`/`errorType`, what a runner hands back
 * for a throw or a timeout), API Gateway's own error answer (`{"message": "..."}` and nothing else), and our own 4xx
 * shape (`{"error": "<code>", "message": "..."}`).
 */
function errorBodyKind(json: Record<string, unknown>): string | undefined {
  if ('errorMessage' in json || 'errorType' in json) return `a Lambda error (${String(json.errorType ?? json.errorMessage)})`;
  const keys = Object.keys(json);
  if (keys.length === 1 && typeof json.message === 'string') return `a gateway error (${json.message})`;
  if (typeof json.error === 'string' && typeof json.message === 'string') return `an error body (${json.error})`;
  return undefined;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Counts labels: `{ "HTTP 503": 2, ... }`. */
export function countKinds(kinds: Map<string, number>, kind: string): void {
  kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
}
