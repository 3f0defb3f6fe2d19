/** An API answer as the widget reads it: any JSON object (an unreadable body reads as `{}`). */
export interface Answer {
  [field: string]: unknown;
}

export interface CallResult {
  status: number;
  data: Answer;
}

/**
 * POSTs JSON to the service (no cache, no referrer) and reads the JSON answer, whatever the status. No cookies, but
 * with `sameOrigin` (sign-in): then the page's own origin sends and keeps its remembered-browser cookie.
 */
export function post(serverUrl: string, path: string, body: object, sameOrigin = false): Promise<CallResult> {
  return fetch(serverUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
    credentials: sameOrigin ? 'same-origin' : 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  }).then((response) =>
    response
      .json()
      .catch(() => ({}))
      .then((data: Answer | null) => ({ status: response.status, data: data || {} })),
  );
}

/** The `error` code of a refused call, if it has one. */
export const errorOf = (result: CallResult): unknown => result.data && result.data.error;
