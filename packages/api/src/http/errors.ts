/**
 * The API's refusals. Each has a stable `code` a client can branch on (docs/api.md lists them); a
 * 400 also names the parameter and says what it accepts.
 */

/** Every code an answer may carry; docs/api.md lists each (a test checks). */
export const API_ERROR_CODES = ['bad_parameter', 'unauthenticated', 'forbidden', 'not_found', 'method_not_allowed', 'audit_unavailable'] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export class ApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly parameter: string | undefined;

  constructor(status: number, code: ApiErrorCode, message: string, parameter?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.parameter = parameter;
  }

  toJSON(): Record<string, string> {
    const body: Record<string, string> = { code: this.code };
    if (this.parameter !== undefined) body.parameter = this.parameter;
    body.message = this.message;
    return body;
  }
}

/** A 400 naming the parameter, what was wrong and the accepted form. */
export function badParameter(parameter: string, problem: string, accepted: string): ApiError {
  return new ApiError(400, 'bad_parameter', `${parameter}: ${problem}; accepted: ${accepted}`, parameter);
}
