import { isUnavailable } from './unavailable.ts';

/**
 * The one table of typed errors. Every error a service raises on purpose is a GovError with a
 * stable code from ERROR_TABLE; each edge (HTTP, gRPC, dead-letter headers) maps it once.
 */
export const ERROR_TABLE = {
  GOV_ERR_INPUT_INVALID: { httpStatus: 400, grpcStatus: 3 /* INVALID_ARGUMENT */, title: 'Invalid input', retryable: false },
  // The edge's limits (issue 13): each its own status, so a client knows what to shrink; never retryable as sent.
  GOV_ERR_BODY_TOO_LARGE: { httpStatus: 413, grpcStatus: 3, title: 'Request body too large', retryable: false },
  GOV_ERR_EVENT_TOO_LARGE: { httpStatus: 413, grpcStatus: 3, title: 'The event this command would raise is too large', retryable: false },
  GOV_ERR_URI_TOO_LONG: { httpStatus: 414, grpcStatus: 3, title: 'URI too long', retryable: false },
  GOV_ERR_MEDIA_TYPE_UNSUPPORTED: { httpStatus: 415, grpcStatus: 3, title: 'Unsupported media type', retryable: false },
  GOV_ERR_HEADERS_TOO_LARGE: { httpStatus: 431, grpcStatus: 3, title: 'Request header fields too large', retryable: false },
  GOV_ERR_AUTH_MISSING: { httpStatus: 401, grpcStatus: 16 /* UNAUTHENTICATED */, title: 'Authentication required', retryable: false },
  GOV_ERR_AUTH_FORBIDDEN: { httpStatus: 403, grpcStatus: 7 /* PERMISSION_DENIED */, title: 'Not allowed for this department', retryable: false },
  GOV_ERR_NOT_FOUND: { httpStatus: 404, grpcStatus: 5 /* NOT_FOUND */, title: 'Not found', retryable: false },
  GOV_ERR_RULE_VIOLATED: { httpStatus: 409, grpcStatus: 9 /* FAILED_PRECONDITION */, title: 'A sharing rule forbids this', retryable: false },
  GOV_ERR_CONCURRENCY_CONFLICT: { httpStatus: 409, grpcStatus: 10 /* ABORTED */, title: 'Conflicting concurrent change', retryable: true },
  // Safe retries (issue 13, defect 7): a key reused for another request is the client's error; one still in progress is retryable.
  GOV_ERR_IDEMPOTENCY_KEY_REUSED: { httpStatus: 409, grpcStatus: 3, title: 'Idempotency key already used for another request', retryable: false },
  GOV_ERR_IDEMPOTENCY_IN_PROGRESS: { httpStatus: 409, grpcStatus: 10 /* ABORTED */, title: 'A request with this idempotency key is in progress', retryable: true },
  GOV_ERR_PRECONDITION_FAILED: { httpStatus: 412, grpcStatus: 9 /* FAILED_PRECONDITION */, title: 'The resource is no longer at the revision the request expected', retryable: false },
  GOV_ERR_EVENT_UNDECODABLE: { httpStatus: 400, grpcStatus: 3, title: 'Event cannot be decoded', retryable: false },
  GOV_ERR_CONFIG_INVALID: { httpStatus: 500, grpcStatus: 13, title: 'Invalid configuration', retryable: false },
  // A delivery limit (DLV-07): retry after the time the answer names (Retry-After), not at once.
  GOV_ERR_RATE_LIMITED: { httpStatus: 429, grpcStatus: 8 /* RESOURCE_EXHAUSTED */, title: 'Delivery limit reached', retryable: true },
  GOV_ERR_UNAVAILABLE: { httpStatus: 503, grpcStatus: 14 /* UNAVAILABLE */, title: 'Temporarily unavailable', retryable: true },
  GOV_ERR_INTERNAL: { httpStatus: 500, grpcStatus: 13 /* INTERNAL */, title: 'Internal error', retryable: true },
} as const;

export type ErrorCode = keyof typeof ERROR_TABLE;

export interface FieldViolation {
  field: string;
  description: string;
}

export class GovError extends Error {
  readonly code: ErrorCode;
  readonly violations: readonly FieldViolation[];
  /** The docs/requirements.md rule the error enforces, e.g. "CAT-06". */
  readonly rule: string | undefined;
  /** When the caller may try again (HTTP Retry-After, gRPC retry-after metadata), in seconds. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, opts: { violations?: FieldViolation[]; rule?: string; cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GovError';
    this.code = code;
    this.violations = opts.violations ?? [];
    this.rule = opts.rule;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }

  get retryable(): boolean {
    return ERROR_TABLE[this.code].retryable;
  }
}

export const inputInvalid = (violations: FieldViolation[], rule?: string): GovError =>
  new GovError(
    'GOV_ERR_INPUT_INVALID',
    violations.map((v) => `${v.field}: ${v.description}`).join('; '),
    rule === undefined ? { violations } : { violations, rule },
  );

export const ruleViolated = (rule: string, message: string): GovError =>
  new GovError('GOV_ERR_RULE_VIOLATED', `${rule}: ${message}`, { rule });

export const notFound = (what: string, id: string): GovError => new GovError('GOV_ERR_NOT_FOUND', `${what} ${id} not found`);

export const forbidden = (message: string, rule?: string): GovError =>
  new GovError('GOV_ERR_AUTH_FORBIDDEN', message, rule === undefined ? {} : { rule });

export const unauthenticated = (message: string): GovError => new GovError('GOV_ERR_AUTH_MISSING', message);

export const concurrencyConflict = (aggregateId: string): GovError =>
  new GovError('GOV_ERR_CONCURRENCY_CONFLICT', `${aggregateId} was changed by a concurrent command; reload and retry`);

/**
 * Anything that is not a GovError is an internal error, its message not leaked to callers; except
 * a dependency out of reach (database, broker), which is GOV_ERR_UNAVAILABLE: retry later.
 */
export const asGovError = (err: unknown): GovError =>
  err instanceof GovError
    ? err
    : isUnavailable(err)
      ? new GovError('GOV_ERR_UNAVAILABLE', 'a dependency of this service (database or broker) is unavailable; retry later', { cause: err })
      : new GovError('GOV_ERR_INTERNAL', 'internal error', { cause: err });

/** Exhaustiveness check for switches over discriminated unions. */
export const assertNever = (value: never, what = 'value'): never => {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
};
