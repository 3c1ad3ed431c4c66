import Stripe from "stripe";
import type { Config } from "../../config/env.ts";
import { BadGatewayError, type DomainError, UnavailableError } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";

/**
 * The Stripe SDK, pointed at STRIPE_API_URL: Stripe itself in production, a stand-in in tests.
 * One retry on a network failure (the SDK's own, with its idempotency key), then the caller
 * hears that Stripe is unavailable — a request must not hang on it for long.
 */
export function createStripeClient(config: Config): Stripe {
  const url = new URL(config.STRIPE_API_URL);
  const protocol = url.protocol === "http:" ? "http" : "https";
  return new Stripe(config.STRIPE_SECRET_KEY ?? "sk_unset", {
    host: url.hostname,
    port: url.port || (protocol === "http" ? 80 : 443),
    protocol,
    maxNetworkRetries: 1,
    timeout: 10_000,
    telemetry: false,
    appInfo: { name: "saas-backend" },
  });
}

const RETRY_AFTER_SECONDS = 5;

/** Whether `error` is Stripe saying the object does not exist (a subscription already gone). */
export const isMissingAtStripe = (error: unknown) =>
  error instanceof Stripe.errors.StripeInvalidRequestError && error.code === "resource_missing";

/**
 * What a client is told when a call to Stripe failed: 503 when Stripe cannot be reached or
 * asks us to slow down (try again), 502 when it refused (logged: it is usually configuration —
 * a wrong key, a price that does not exist).
 */
export function providerFailure(error: unknown, logger: Logger): DomainError | undefined {
  if (!(error instanceof Stripe.errors.StripeError)) return undefined;
  if (error instanceof Stripe.errors.StripeConnectionError || error instanceof Stripe.errors.StripeRateLimitError) {
    logger.warn("billing: Stripe unavailable", { type: error.type, message: error.message });
    return new UnavailableError(
      "Stripe cannot be reached right now; nothing was changed. Try again shortly",
      "BILLING_UNAVAILABLE",
      RETRY_AFTER_SECONDS,
    );
  }
  logger.error("billing: Stripe refused a request", {
    type: error.type,
    code: error.code,
    status: error.statusCode,
    message: error.message,
  });
  const reason =
    error instanceof Stripe.errors.StripeAuthenticationError ? "it does not accept this server's STRIPE_SECRET_KEY" : error.message;
  return new BadGatewayError(`Stripe refused the request (${reason}); nothing was changed`, "BILLING_PROVIDER_ERROR");
}

/** Runs a call to Stripe, turning its failures into the answers above. */
export async function atStripe<T>(logger: Logger, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw providerFailure(error, logger) ?? error;
  }
}
