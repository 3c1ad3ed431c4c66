// Every error body's `code`: stable and machine-readable, so a client branches on it rather
// than on a sentence. The one table of them, with the status each answers with. The OpenAPI
// document lists them as an enum and the README as a table; a code once published keeps its
// meaning.

export const ERROR_CODES = {
  BAD_REQUEST: { status: 400, description: "A request that cannot be served as sent (an invalid cursor, a non-upgrade request to /ws)" },
  MALFORMED_BODY: { status: 400, description: "The body is not valid JSON, or not valid UTF-8" },
  INVALID_PARAMETER: { status: 400, description: "A query or path parameter fails its schema; `errors` names each" },
  RESET_LINK_INVALID: { status: 400, description: "The password-reset link is unknown or already used" },
  WEBHOOK_SIGNATURE_INVALID: { status: 400, description: "The webhook's signature is missing, wrong or stale; nothing was changed" },
  VERIFICATION_LINK_INVALID: { status: 400, description: "The email-verification link is unknown or already used" },
  UNAUTHENTICATED: { status: 401, description: "No valid credentials: a missing, malformed, expired or revoked token" },
  INVALID_CREDENTIALS: { status: 401, description: "The email, password or other credential given does not match" },
  CHALLENGE_EXPIRED: { status: 401, description: "The sign-in step or passkey challenge expired or was already used: start again" },
  FORBIDDEN: { status: 403, description: "Your role (or membership) does not allow this" },
  NO_ORGANISATION: { status: 403, description: "This session belongs to no organisation: create one, accept an invitation, or switch" },
  TWO_FACTOR_REQUIRED: {
    status: 403,
    description: "The organisation requires a second factor: this session may only set one up (TOTP or a passkey)",
  },
  ORGANISATION_SUSPENDED: { status: 403, description: "The platform's operators suspended this organisation; its data is untouched" },
  ACCOUNT_DISABLED: { status: 403, description: "The platform's operators disabled this account" },
  EMAIL_NOT_VERIFIED: { status: 403, description: "Confirm your email address first (EMAIL_VERIFICATION=required)" },
  PLAN_LIMIT_REACHED: { status: 403, description: "The plan's member limit, members plus pending invites, is reached" },
  NOT_FOUND: { status: 404, description: "Not found in your organisation (another tenant's ids look exactly like missing ones)" },
  CONFLICT: { status: 409, description: "Conflicts with the current state (already a member, already on that plan, a duplicate)" },
  BILLING_MANAGED: { status: 409, description: "Plans are paid for through billing here: use checkout or the billing portal" },
  BILLING_DISABLED: { status: 409, description: "Billing is off on this server (BILLING_PROVIDER=none)" },
  ALREADY_SUBSCRIBED: { status: 409, description: "The organisation already has a subscription: change it in the billing portal" },
  NO_BILLING_ACCOUNT: { status: 409, description: "The organisation has no billing account yet: start a checkout first" },
  LAST_ADMIN: { status: 409, description: "The organisation would be left without an ADMIN" },
  INVITE_EXPIRED: { status: 410, description: "The invitation has expired" },
  RESET_LINK_EXPIRED: { status: 410, description: "The password-reset link has expired" },
  VERIFICATION_LINK_EXPIRED: { status: 410, description: "The email-verification link has expired; ask for a new one" },
  PAYLOAD_TOO_LARGE: { status: 413, description: "The body is over the size limit" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: "The body is not sent as application/json" },
  VALIDATION_FAILED: { status: 422, description: "The body fails its schema; `errors` names each field" },
  RATE_LIMITED: { status: 429, description: "A rate limit or credential budget is spent; see `retry-after`" },
  INTERNAL_ERROR: { status: 500, description: "A fault of ours, logged with the request id; nothing about it is leaked" },
  BILLING_PROVIDER_ERROR: { status: 502, description: "The billing provider refused or failed the request; nothing was changed here" },
  DATABASE_UNAVAILABLE: { status: 503, description: "The database cannot be reached; retry after `retry-after`" },
  BILLING_UNAVAILABLE: {
    status: 503,
    description: "The billing provider cannot be reached (or is not configured); retry after `retry-after`",
  },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes that answer with `status`: what an error class of that status may carry. */
export type CodeOfStatus<S extends number> = { [K in ErrorCode]: (typeof ERROR_CODES)[K]["status"] extends S ? K : never }[ErrorCode];

export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** The generic code for a status that arrives without one (Hono's own HTTPExceptions). */
export function codeForStatus(status: number): ErrorCode {
  const generic: Record<number, ErrorCode> = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_FAILED",
    429: "RATE_LIMITED",
    503: "DATABASE_UNAVAILABLE",
  };
  return generic[status] ?? (status >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST");
}
