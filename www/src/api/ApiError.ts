/** An error answered by the admin API, or a failure to reach it, in one shape for the UI. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;

  constructor(status: number, code: string, message: string, field: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'Not signed in',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Request too large',
  422: 'Invalid value',
  429: 'Too many attempts',
  500: 'Server error',
  502: 'Provider or gateway error',
  503: 'Service unavailable',
  504: 'Gateway timeout',
};

/**
 * Builds an ApiError from a failed response's status and body text. Understands the API's
 * {"error": {...}} shape; anything else (an HTML error page, empty body) still yields a
 * readable message rather than being dropped.
 */
export function apiErrorFromResponse(status: number, bodyText: string, retryAfter?: string | null): ApiError {
  let parsed: unknown = null;
  try {
    parsed = bodyText ? JSON.parse(bodyText) : null;
  } catch {
    parsed = null;
  }
  const err = (parsed as { error?: unknown } | null)?.error;
  let result: ApiError;
  if (err && typeof err === 'object') {
    const e = err as { status?: unknown; code?: unknown; message?: unknown; field?: unknown };
    result = new ApiError(
      typeof e.status === 'number' ? e.status : status,
      typeof e.code === 'string' && e.code ? e.code : codeForStatus(status),
      typeof e.message === 'string' && e.message ? e.message : fallbackMessage(status),
      typeof e.field === 'string' && e.field ? e.field : null,
    );
  } else if (typeof err === 'string' && err) {
    result = new ApiError(status, codeForStatus(status), err);
  } else if (parsed && typeof (parsed as { detail?: unknown }).detail === 'string') {
    // The earlier FastAPI tool answered {"detail": "..."}.
    result = new ApiError(status, codeForStatus(status), (parsed as { detail: string }).detail);
  } else {
    result = new ApiError(status, codeForStatus(status), fallbackMessage(status, bodyText));
  }
  if (status === 429 && retryAfter) {
    return new ApiError(result.status, result.code, `${result.message} (retry after ${retryAfter} s)`, result.field);
  }
  return result;
}

export function networkError(cause: unknown): ApiError {
  const detail = cause instanceof Error && cause.message ? `: ${cause.message}` : '';
  return new ApiError(0, 'network', `Cannot reach the server${detail}`);
}

function codeForStatus(status: number): string {
  switch (status) {
    case 400: return 'bad_request';
    case 401: return 'unauthenticated';
    case 403: return 'forbidden';
    case 404: return 'not_found';
    case 405: return 'method_not_allowed';
    case 409: return 'conflict';
    case 413: return 'body_too_large';
    case 422: return 'invalid_value';
    case 429: return 'rate_limited';
    case 502: return 'provider_error';
    default: return status >= 500 ? 'server_error' : 'http_error';
  }
}

function fallbackMessage(status: number, bodyText = ''): string {
  const text = STATUS_TEXT[status] ?? 'Request failed';
  const snippet = bodyText.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 160);
  return snippet ? `${text} (HTTP ${status}): ${snippet}` : `${text} (HTTP ${status})`;
}

/** A message for any thrown value, for showing to the person. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    return error.field ? `${error.message} [${error.field}]` : error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
