import { z } from "@hono/zod-openapi";

// Control characters never belong in names or messages (and PostgreSQL refuses NUL outright,
// which would otherwise surface as a 500).
const NO_CONTROL_CHARACTERS = /^[^\p{Cc}]*$/u;
const NO_CONTROL_CHARACTERS_EXCEPT_LINE_BREAKS = /^(?:[^\p{Cc}]|[\t\n\r])*$/u;

const byteLength = (value: string) => Buffer.byteLength(value, "utf8");

/**
 * A string with no unpaired UTF-16 surrogate ("\udc00" in JSON parses to one). It has no UTF-8
 * form: a text column would silently store U+FFFD and a jsonb one refuses the whole statement.
 */
const text = () => z.string().refine((value) => value.isWellFormed(), "Must not contain unpaired surrogates (invalid Unicode)");

/** Trimmed and lower-cased, so the same address in another letter case is the same account. */
export const emailField = text()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email("Must be a valid email address"))
  .openapi({ type: "string", format: "email", example: "ada@example.com" });

/** 8–72 bytes: bcrypt reads no further than 72, so a longer password would be silently cut. */
export const newPasswordField = text()
  .refine((value) => byteLength(value) >= 8, "Must be at least 8 bytes")
  .refine((value) => byteLength(value) <= 72, "Must be at most 72 bytes")
  .refine((value) => NO_CONTROL_CHARACTERS.test(value), "Must not contain control characters")
  .openapi({ type: "string", minLength: 8, maxLength: 72, example: "correct-horse-battery" });

/** A password being checked, not chosen: any length up to bcrypt's, so a typo is a 401. */
export const passwordField = text()
  .min(1, "Must not be empty")
  .refine((value) => byteLength(value) <= 72, "Must be at most 72 bytes")
  .openapi({ type: "string", maxLength: 72, example: "correct-horse-battery" });

/**
 * A regex as JSON Schema reads `pattern`: its source alone. The zod conversion appends the
 * flags ("…$/u"), which no validator built from the document can match. JSON Schema patterns
 * are ECMA-262 with Unicode semantics (what the `u` flag gives), so `\p{Cc}` means the same there.
 */
const patternOf = (regex: RegExp) => ({ pattern: regex.source });

/** A human-readable single-line name. */
export const nameField = (max = 100) =>
  text()
    .trim()
    .min(1, "Must not be empty")
    .max(max)
    .regex(NO_CONTROL_CHARACTERS, "Must not contain control characters")
    .openapi({ ...patternOf(NO_CONTROL_CHARACTERS), example: "Zoë Ångström 🚀" });

/** Free text that may span lines. */
export const messageField = (max: number) =>
  text()
    .trim()
    .min(1, "Must not be empty")
    .max(max)
    .regex(NO_CONTROL_CHARACTERS_EXCEPT_LINE_BREAKS, "Must not contain control characters")
    .openapi(patternOf(NO_CONTROL_CHARACTERS_EXCEPT_LINE_BREAKS));

/**
 * An instant as ISO 8601 (`2026-01-31T12:00:00Z`), from year 0001 to 9999: JavaScript and zod
 * accept year 0000, which PostgreSQL refuses.
 */
export const instantField = z.iso
  .datetime()
  .refine((value) => Number(value.slice(0, 4)) >= 1, "Must be a date from year 0001 on")
  .openapi({ type: "string", format: "date-time", example: "2026-01-31T12:00:00Z" });

export const opaqueTokenField = text().min(1, "Must not be empty").max(512);

export const uuidField = z.uuid("Must be a UUID");

/** `{id}` in a path: a malformed id is a 400 before any query runs. */
export const IdParam = z.object({
  id: uuidField.openapi({ param: { name: "id", in: "path" }, example: "0e6f4e1a-7f43-4d8e-9b0e-6a1f3f0f9c11" }),
});
