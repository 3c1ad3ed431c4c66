import { randomBytes } from "node:crypto";
import { z } from "zod";

/** A duration such as "900s", "15m", "12h" or "7d", in seconds. */
const duration = z
  .string()
  .regex(/^\d+[smhd]$/, 'must look like "15m", "12h" or "7d"')
  .transform((value) => {
    const amount = Number(value.slice(0, -1));
    const unit = value.slice(-1) as "s" | "m" | "h" | "d";
    return amount * { s: 1, m: 60, h: 3600, d: 86400 }[unit];
  });

const positiveInt = z.coerce.number().int().positive();
const flag = z.enum(["true", "false"]).transform((value) => value === "true");
const optionalUrl = z.preprocess((value) => (value === "" ? undefined : value), z.url().optional());
const optionalText = z.preprocess((value) => (value === "" ? undefined : value), z.string().min(1).optional());

export const DEFAULT_PGLITE_DATA_DIR = ".data/pglite";
const MIN_SECRET_LENGTH = 32;
export const SECRET_KEYS = ["JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: optionalUrl,
  PGLITE_DATA_DIR: z.string().min(1).default(DEFAULT_PGLITE_DATA_DIR),
  DATABASE_POOL_SIZE: positiveInt.default(10),
  JWT_ACCESS_SECRET: z.string().optional(),
  JWT_REFRESH_SECRET: z.string().optional(),
  JWT_ACCESS_EXPIRES_IN: duration.default(15 * 60),
  JWT_REFRESH_EXPIRES_IN: duration.default(7 * 86400),
  /** After a rotation, how long presenting the rotated refresh token again returns the same successor instead of revoking. */
  REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(300).default(10),
  INVITE_EXPIRES_IN: duration.default(86400),
  BCRYPT_COST: z.coerce.number().int().min(4).max(31).default(10),
  RATE_LIMIT_WINDOW_MS: positiveInt.default(60_000),
  RATE_LIMIT_MAX: positiveInt.default(100),
  RATE_LIMIT_AUTH_MAX: positiveInt.default(10),
  RATE_LIMIT_ACCOUNT_MAX: positiveInt.default(10),
  RATE_LIMIT_ACCOUNT_WINDOW_MS: positiveInt.default(15 * 60_000),
  TRUST_PROXY: flag.default(false),
  REDIS_URL: optionalUrl,
  RATE_LIMIT_PREFIX: z
    .string()
    .regex(/^[\w.-]{1,64}$/, "letters, digits, '.', '_' or '-'")
    .default("rl"),
  CORS_ORIGINS: z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url("each origin must be a URL such as https://app.example.com"))),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  /** Where people open the product: links in emails point here. Unset: this server itself, which serves minimal pages for them. */
  APP_URL: optionalUrl,
  SMTP_URL: optionalUrl,
  MAIL_FROM: z.string().min(3).default("SaaS backend <no-reply@localhost>"),
  PASSWORD_RESET_EXPIRES_IN: duration.default(3600),
  RESET_EMAILS_PER_HOUR: positiveInt.default(3),
  /** Invitation emails one address may receive an hour, from every organisation together. */
  INVITE_EMAILS_PER_HOUR: positiveInt.default(5),
  /** Invitations one organisation may send a day. */
  INVITES_PER_DAY: positiveInt.default(100),
  /** optional: verification mail goes out and `emailVerified` shows, nothing is gated. required: no invitations or plan changes until verified. */
  EMAIL_VERIFICATION: z.enum(["optional", "required"]).default("optional"),
  EMAIL_VERIFICATION_EXPIRES_IN: duration.default(86_400),
  /** How long a mail is retried before it is set aside for an operator. */
  MAIL_RETRY_FOR: duration.default(86_400),
  /** /metrics on its own port (never the public one). */
  METRICS_PORT: z.preprocess((value) => (value === "" ? undefined : value), z.coerce.number().int().min(0).max(65535).optional()),
  /** Without METRICS_PORT: /metrics on the main port, for this bearer token only. */
  METRICS_TOKEN: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.string().min(16, "must be at least 16 characters").optional(),
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  OTEL_SERVICE_NAME: z.string().min(1).default("saas-backend"),
  /** Activities older than this many days are purged; unset keeps them forever. */
  ACTIVITY_RETENTION_DAYS: z.preprocess((value) => (value === "" ? undefined : value), z.coerce.number().int().positive().optional()),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),
  /** The WebAuthn relying party: APP_URL's host unless set (a passkey is bound to it for good: choose it once). */
  WEBAUTHN_RP_ID: optionalText,
  /** Origins passkey ceremonies may come from, comma-separated; unset: APP_URL's origin (else this server's). */
  WEBAUTHN_ORIGINS: z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url("each origin must be a URL such as https://app.example.com"))),
  /** none: the plan route changes the plan (self-hosting, development). stripe: only a paid subscription does. */
  BILLING_PROVIDER: z.enum(["none", "stripe"]).default("none"),
  STRIPE_SECRET_KEY: optionalText,
  STRIPE_WEBHOOK_SECRET: optionalText,
  /** Where the Stripe adapter sends its requests: Stripe itself, or a stand-in in tests. */
  STRIPE_API_URL: z.url().default("https://api.stripe.com"),
  STRIPE_PRICE_PRO: optionalText,
  STRIPE_PRICE_ENTERPRISE: optionalText,
  /** Days of trial a first checkout starts with; 0 for none. */
  STRIPE_TRIAL_DAYS: z.coerce.number().int().min(0).max(730).default(0),
  /** flat: one of the plan's price a month. per_seat: the price times the member count, kept in step. */
  STRIPE_SEAT_PRICING: z.enum(["flat", "per_seat"]).default("flat"),
  /** How long a past_due subscription keeps its plan. */
  BILLING_GRACE_DAYS: z.coerce.number().int().min(0).max(90).default(7),
});

type ParsedEnv = z.infer<typeof envSchema>;

/** Every setting the server reads: the documentation and .env.example must list each one. */
export const CONFIG_KEYS = Object.keys(envSchema.shape) as Array<keyof ParsedEnv>;

export type Config = Omit<ParsedEnv, SecretKey> & {
  JWT_ACCESS_SECRET: string;
  JWT_REFRESH_SECRET: string;
};

export type LogLevel = Config["LOG_LEVEL"];

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Validates the environment once, at start-up. Throws a ConfigError naming the offending key;
 * returns warnings (such as generated development secrets) for the caller to log.
 */
export function loadConfig(env: Record<string, string | undefined>): { config: Config; warnings: string[] } {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }

  const warnings: string[] = [];
  const secrets = {} as Record<SecretKey, string>;
  for (const key of SECRET_KEYS) {
    const value = parsed.data[key];
    if (value && value.length >= MIN_SECRET_LENGTH) {
      secrets[key] = value;
      continue;
    }
    const problem = value ? `is shorter than ${MIN_SECRET_LENGTH} characters` : "is not set";
    if (parsed.data.NODE_ENV === "production") {
      throw new ConfigError(`${key} ${problem}; production needs a random secret of at least ${MIN_SECRET_LENGTH} characters`);
    }
    // A per-process secret keeps development friction-free, but tokens die with the process
    // and two local instances would not accept each other's tokens — hence the warning.
    secrets[key] = value ?? randomBytes(48).toString("base64url");
    warnings.push(`${key} ${problem}; ${value ? "using it anyway" : "generated a random one"} (development only)`);
  }

  warnings.push(...billingProblems(parsed.data));
  return { config: { ...parsed.data, ...secrets }, warnings };
}

/** Stripe settings billing cannot run without: a ConfigError in production, warnings elsewhere. */
function billingProblems(env: ParsedEnv): string[] {
  if (env.BILLING_PROVIDER !== "stripe") return [];
  const required = ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_PRICE_PRO", "STRIPE_PRICE_ENTERPRISE"] as const;
  const missing = required.filter((key) => env[key] === undefined);
  if (missing.length === 0) return [];
  if (env.NODE_ENV === "production") {
    throw new ConfigError(
      `BILLING_PROVIDER=stripe needs ${missing.join(", ")}; set ${missing.length === 1 ? "it" : "them"} or use BILLING_PROVIDER=none`,
    );
  }
  return missing.map((key) => `${key} is not set; billing through Stripe will refuse what needs it (development only)`);
}
