// autocannon 8 ships no types and @types/autocannon is not installed: the little the bench uses.
declare module 'autocannon' {
  interface Histogram { average: number; total: number; p50: number; p99: number }
  interface Result {
    requests: Histogram;
    latency: Histogram;
    '2xx': number;
    non2xx: number;
    errors: number;
    timeouts: number;
  }
  interface Request {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Called with every answer to this request (status, the whole body, a per-connection context, headers). */
    onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
    /** Called before each send: may return the request changed (a fresh id per request). */
    setupRequest?: (request: Request, context: Record<string, unknown>) => Request;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Requests sent in turn on each connection; unset fields take the options above. */
    requests?: Request[];
  }
  function autocannon(options: Options): Promise<Result>;
  export = autocannon;
}
