/**
 * A failure the caller can act on. `code` is stable (clients switch on it); `message` is for humans and names the
 * field at fault. Anything that is not an AppError becomes a logged, generic 500.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(400, code, message, details);

export const notFound = (code: string, message: string) => new AppError(404, code, message);

export const conflict = (code: string, message: string) => new AppError(409, code, message);

export const unauthorized = (message = 'A valid admin API key is required: Authorization: Bearer <key>') =>
  new AppError(401, 'unauthorized', message);
