// Billing through Stripe, against a local stand-in for Stripe's API (this machine cannot reach
// Stripe): checkout and the portal, webhooks verified by the SDK, applied once and in any order,
// entitlements from status with a grace period, dunning mail once per invoice, and billing off.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import Stripe from "stripe";
import { billingEvents, billingNotices, jobs, organisations } from "../src/db/schema/index.ts";
import { queryRows } from "../src/db/sql.ts";
import * as billingRoutes from "../src/modules/billing/billing.routes.ts";
import { type Client, createClient, parseWith, refusalOf } from "./support/client.ts";
import { inDatabase, snapshotDatabase } from "./support/db-state.ts";
import { acceptInvite, addMember, invite, operatorSession, registerOrg, type Session } from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { connectSocket } from "./support/socket.ts";
import { deliverEvent, type StripeStandin, startStripeStandin, stripeEvent } from "./support/stripe-standin.ts";

const WEBHOOK_SECRET = "whsec_test_secret_of_the_stand_in";
const PRICES = { PRO: "price_pro_monthly", ENTERPRISE: "price_enterprise_monthly" };
const APP_URL = "https://app.example.com";
const TRIAL_DAYS = 14;

const stripeEnv = (standin: StripeStandin, extra: Record<string, string> = {}) => ({
  BILLING_PROVIDER: "stripe",
  STRIPE_SECRET_KEY: "sk_test_stand_in",
  STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  STRIPE_API_URL: standin.url,
  STRIPE_PRICE_PRO: PRICES.PRO,
  STRIPE_PRICE_ENTERPRISE: PRICES.ENTERPRISE,
  STRIPE_TRIAL_DAYS: String(TRIAL_DAYS),
  APP_URL,
  ...extra,
});

let standin: StripeStandin;
let server: TestServer;
let api: Client;
let off: TestServer;
let offApi: Client;
/** With STRIPE_SEAT_PRICING=per_seat (started by its describe block). */
let seats: TestServer | undefined;

beforeAll(async () => {
  standin = await startStripeStandin();
  server = await startTestServer(stripeEnv(standin));
  api = createClient(server.base);
  off = await startTestServer();
  offApi = createClient(off.base);
});
afterAll(async () => {
  await Promise.all([server?.stop(), off?.stop(), seats?.stop()]);
  standin?.stop();
});

const standinSignature = (payload: string) =>
  new Stripe("sk_test_signer").webhooks.generateTestHeaderStringAsync({ payload, secret: WEBHOOK_SECRET });

const deliver = (event: Parameters<typeof deliverEvent>[1], base = server.base) => deliverEvent(base, event, WEBHOOK_SECRET);

const billingOf = async (admin: Session, client = api) =>
  parseWith(billingRoutes.getBilling, 200, await client.get("/api/billing", { token: admin.accessToken })).data;

const customerOf = async (organisationId: string) =>
  (
    await inDatabase((tx) =>
      tx.select({ id: organisations.billingCustomerId }).from(organisations).where(eq(organisations.id, organisationId)),
    )
  )[0]?.id ?? null;

/** An organisation that went through checkout: its customer exists at Stripe and is stored. */
async function checkedOut(plan: "PRO" | "ENTERPRISE" = "PRO", client = api) {
  const admin = await registerOrg(client);
  const response = await client.post("/api/billing/checkout", { token: admin.accessToken, body: { plan } });
  const { url } = parseWith(billingRoutes.checkout, 200, response).data;
  const sessionId = url.split("/").pop() as string;
  const customer = (await customerOf(admin.organisation.id)) as string;
  return { admin, sessionId, customer };
}

/** Completes the checkout at the stand-in and delivers what Stripe would: the subscription, then the session. */
async function subscribed(plan: "PRO" | "ENTERPRISE" = "PRO") {
  const organisation = await checkedOut(plan);
  const { subscription, session } = standin.completeCheckout(organisation.sessionId);
  expect((await deliver(stripeEvent("customer.subscription.created", subscription))).status).toBe(200);
  expect((await deliver(stripeEvent("checkout.session.completed", session))).status).toBe(200);
  return { ...organisation, subscription };
}

const activitiesOf = (organisationId: string) =>
  inDatabase((tx) =>
    queryRows<{ type: string; actor: unknown; metadata: Record<string, unknown> }>(
      tx,
      sql`select type, actor, metadata from activities where organisation_id = ${organisationId} order by id`,
    ),
  );

const planChanges = async (organisationId: string) =>
  (await activitiesOf(organisationId)).filter((activity) => activity.type.startsWith("PLAN_"));

/** Mail to `email`, wherever it went: every instance here runs a sender over the one database. */
async function mailTo(email: string) {
  const instances = [server, off, seats].filter((instance): instance is TestServer => instance !== undefined);
  for (const instance of instances) await instance.mail.sender?.flush();
  return instances.flatMap((instance) => instance.mail.mailbox?.messages() ?? []).filter((mail) => mail.to === email);
}

const dunningMailTo = async (email: string) =>
  (await mailTo(email)).filter((mail) => mail.subject === "A payment for your subscription failed");

describe("with billing off (BILLING_PROVIDER=none)", () => {
  test("the plan route changes the plan as before, and GET /api/billing says billing is off", async () => {
    const admin = await registerOrg(offApi);
    const changed = await offApi.patch("/api/organisations/subscription", { token: admin.accessToken, body: { plan: "PRO" } });
    expect(changed.status).toBe(200);
    expect(await billingOf(admin, offApi)).toEqual({
      provider: "none",
      plan: "PRO",
      status: null,
      trialEnd: null,
      currentPeriodEnd: null,
      cancelAtPeriodEnd: false,
      graceUntil: null,
      seats: 1,
      source: "manual",
      compUntil: null,
    });
  });

  test("checkout, the portal and the webhook answer 409 BILLING_DISABLED and change nothing", async () => {
    const admin = await registerOrg(offApi);
    const before = await snapshotDatabase();
    const token = admin.accessToken;
    refusalOf(409, await offApi.post("/api/billing/checkout", { token, body: { plan: "PRO" } }), "BILLING_DISABLED");
    refusalOf(409, await offApi.post("/api/billing/portal", { token, body: {} }), "BILLING_DISABLED");
    const delivered = await deliver(stripeEvent("customer.subscription.created", {}), off.base);
    expect(delivered.status).toBe(409);
    expect(delivered.body.code).toBe("BILLING_DISABLED");
    expect(await snapshotDatabase()).toEqual(before);
    expect(standin.requestsTo("/v1/customers").some((request) => request.body.metadata === admin.organisation.id)).toBe(false);
  });
});

describe("with Stripe, nothing but a subscription changes the plan", () => {
  test("PATCH /api/organisations/subscription answers 409 BILLING_MANAGED, naming checkout and the portal", async () => {
    const admin = await registerOrg(api);
    const before = await snapshotDatabase();
    const response = await api.patch("/api/organisations/subscription", { token: admin.accessToken, body: { plan: "ENTERPRISE" } });
    expect(refusalOf(409, response, "BILLING_MANAGED").message).toMatch(/checkout.*portal/);
    expect(await snapshotDatabase()).toEqual(before);
  });
});

describe("checkout", () => {
  test("creates the customer once, with the organisation in its metadata and an idempotency key of it", async () => {
    const { admin, customer } = await checkedOut();
    const created = standin
      .requestsTo("/v1/customers", "POST")
      .filter((request) => request.idempotencyKey === `customer-${admin.organisation.id}`);
    expect(created).toHaveLength(1);
    expect(created[0]?.body.metadata).toEqual({ organisationId: admin.organisation.id });
    expect(standin.customers.get(customer)?.metadata).toEqual({ organisationId: admin.organisation.id });

    // Again (the ADMIN came back without paying): the stored customer, no second one.
    const again = await api.post("/api/billing/checkout", { token: admin.accessToken, body: { plan: "ENTERPRISE" } });
    expect(again.status).toBe(200);
    expect(
      standin.requestsTo("/v1/customers", "POST").filter((r) => r.idempotencyKey === `customer-${admin.organisation.id}`),
    ).toHaveLength(1);
    const sessions = standin.requestsTo("/v1/checkout/sessions").filter((request) => request.body.customer === customer);
    expect(sessions.map((request) => (request.body.line_items as Array<{ price: string }>)[0]?.price)).toEqual([
      PRICES.PRO,
      PRICES.ENTERPRISE,
    ]);
  });

  test("the session is a subscription for the plan's price, naming the organisation, with the trial and the APP_URL return URLs", async () => {
    const { admin, customer } = await checkedOut("ENTERPRISE");
    const [request] = standin.requestsTo("/v1/checkout/sessions").filter((candidate) => candidate.body.customer === customer);
    expect(request?.body).toMatchObject({
      mode: "subscription",
      customer,
      client_reference_id: admin.organisation.id,
      line_items: [{ price: PRICES.ENTERPRISE, quantity: "1" }],
      subscription_data: { metadata: { organisationId: admin.organisation.id }, trial_period_days: String(TRIAL_DAYS) },
      success_url: `${APP_URL}/billing?checkout=success`,
      cancel_url: `${APP_URL}/billing?checkout=cancelled`,
    });
  });

  test("return URLs on another origin are refused (422) before anything reaches Stripe", async () => {
    const admin = await registerOrg(api);
    const before = standin.requests.length;
    for (const body of [
      { plan: "PRO", successUrl: "https://evil.example/phish" },
      { plan: "PRO", cancelUrl: "javascript:alert(1)" },
    ]) {
      refusalOf(422, await api.post("/api/billing/checkout", { token: admin.accessToken, body }), "VALIDATION_FAILED");
    }
    expect(standin.requests.length).toBe(before);
    const own = await api.post("/api/billing/checkout", {
      token: admin.accessToken,
      body: { plan: "PRO", successUrl: `${APP_URL}/welcome`, cancelUrl: `${APP_URL}/pricing` },
    });
    expect(own.status).toBe(200);
  });

  test("a second subscription is refused while one bills the organisation (409 ALREADY_SUBSCRIBED)", async () => {
    const { admin } = await subscribed();
    refusalOf(
      409,
      await api.post("/api/billing/checkout", { token: admin.accessToken, body: { plan: "ENTERPRISE" } }),
      "ALREADY_SUBSCRIBED",
    );
  });

  test("Stripe unreachable: 503 BILLING_UNAVAILABLE with retry-after, and nothing is written", async () => {
    const admin = await registerOrg(api);
    const before = await snapshotDatabase();
    standin.down();
    try {
      const response = await api.post("/api/billing/checkout", { token: admin.accessToken, body: { plan: "PRO" } });
      expect(refusalOf(503, response, "BILLING_UNAVAILABLE").message).toMatch(/Stripe cannot be reached/);
      expect(response.headers.get("retry-after")).toBe("5");
    } finally {
      standin.up();
    }
    expect(await snapshotDatabase()).toEqual(before);
    expect(await customerOf(admin.organisation.id)).toBeNull();
    // Back up: the same request goes through, and makes one customer.
    expect((await api.post("/api/billing/checkout", { token: admin.accessToken, body: { plan: "PRO" } })).status).toBe(200);
  });

  test("Stripe failing (5xx): 502 BILLING_PROVIDER_ERROR, and nothing is written", async () => {
    const admin = await registerOrg(api);
    const before = await snapshotDatabase();
    standin.fail(2); // the SDK retries once
    refusalOf(502, await api.post("/api/billing/checkout", { token: admin.accessToken, body: { plan: "PRO" } }), "BILLING_PROVIDER_ERROR");
    expect(await snapshotDatabase()).toEqual(before);
  });

  test("two checkouts at once (a double click) make one customer", async () => {
    const admin = await registerOrg(api);
    const answers = await Promise.all(
      [1, 2, 3].map(() => api.post("/api/billing/checkout", { token: admin.accessToken, body: { plan: "PRO" } })),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    const customers = [...standin.customers.values()].filter((customer) => customer.metadata.organisationId === admin.organisation.id);
    expect(customers).toHaveLength(1);
    expect(await customerOf(admin.organisation.id)).toBe(customers[0]?.id as string);
  });

  test("a webhook arriving while the ADMIN's checkout request is still in flight is applied at once, and the checkout completes", async () => {
    const { admin, sessionId, customer } = await checkedOut();
    const { subscription } = standin.completeCheckout(sessionId);
    const held = standin.hold("POST /v1/checkout/sessions");
    const inFlight = api.post("/api/billing/checkout", { token: admin.accessToken, body: { plan: "PRO" } });
    await held.reached;
    try {
      const delivered = await deliver(stripeEvent("customer.subscription.created", subscription));
      expect(delivered.body.data?.outcome).toBe("applied");
      expect((await billingOf(admin)).plan).toBe("PRO");
    } finally {
      held.release();
    }
    expect((await inFlight).status).toBe(200);
    expect(await customerOf(admin.organisation.id)).toBe(customer);
  });
});

describe("the portal", () => {
  test("opens a session for the organisation's customer, returning to APP_URL/billing", async () => {
    const { admin, customer } = await checkedOut();
    const response = await api.post("/api/billing/portal", { token: admin.accessToken, body: {} });
    expect(parseWith(billingRoutes.portal, 200, response).data.url).toStartWith("https://billing.stripe.test/");
    const request = standin.requestsTo("/v1/billing_portal/sessions").findLast((candidate) => candidate.body.customer === customer);
    expect(request?.body.return_url).toBe(`${APP_URL}/billing`);
  });

  test("before any checkout there is nothing to open: 409 NO_BILLING_ACCOUNT", async () => {
    const admin = await registerOrg(api);
    refusalOf(409, await api.post("/api/billing/portal", { token: admin.accessToken, body: {} }), "NO_BILLING_ACCOUNT");
  });

  test("Stripe unreachable: 503 BILLING_UNAVAILABLE", async () => {
    const { admin } = await checkedOut();
    standin.down();
    try {
      refusalOf(503, await api.post("/api/billing/portal", { token: admin.accessToken, body: {} }), "BILLING_UNAVAILABLE");
    } finally {
      standin.up();
    }
  });
});

describe("webhooks", () => {
  test("a missing, wrong or stale signature is a 400 that changes nothing", async () => {
    const { sessionId } = await checkedOut();
    const { subscription } = standin.completeCheckout(sessionId);
    const payload = JSON.stringify(stripeEvent("customer.subscription.created", subscription));
    const before = await snapshotDatabase();
    const stale = `t=${Math.floor(Date.now() / 1000) - 3600},v1=${"0".repeat(64)}`;
    const wrongSecret = await deliverEvent(server.base, payload, "whsec_someone_else");
    expect(wrongSecret.status).toBe(400);
    expect(wrongSecret.body.code).toBe("WEBHOOK_SIGNATURE_INVALID");
    for (const signature of ["", "t=1,v1=abc", stale]) {
      const answer = await deliverEvent(server.base, payload, WEBHOOK_SECRET, signature);
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe("WEBHOOK_SIGNATURE_INVALID");
    }
    // A body changed after signing (another subscription, another status) no longer verifies.
    const signature = standinSignature(payload);
    const tampered = payload.replace('"trialing"', '"active"');
    const answer = await deliverEvent(server.base, tampered, WEBHOOK_SECRET, await signature);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe("WEBHOOK_SIGNATURE_INVALID");
    expect(await snapshotDatabase()).toEqual(before);
  });

  test("a subscription created (trialing) grants its plan: PLAN_UPGRADED with source billing, no actor, broadcast to sockets", async () => {
    const { admin, sessionId } = await checkedOut();
    const socket = await connectSocket(server.base, admin.accessToken);
    const { subscription } = standin.completeCheckout(sessionId);
    const delivered = await deliver(stripeEvent("customer.subscription.created", subscription));
    expect(delivered).toMatchObject({ status: 200, body: { data: { outcome: "applied" } } });

    const pushed = await socket.next((message) => message.type === "PLAN_UPGRADED");
    expect(pushed.payload).toMatchObject({ from: "FREE", to: "PRO", source: "billing" });
    socket.close();
    const organisation = await api.get("/api/organisations", { token: admin.accessToken });
    expect((organisation.body as { data: { subscriptionPlan: string } }).data.subscriptionPlan).toBe("PRO");
    const billing = await billingOf(admin);
    expect(billing).toMatchObject({ provider: "stripe", plan: "PRO", status: "trialing", cancelAtPeriodEnd: false, graceUntil: null });
    expect(Date.parse(billing.trialEnd as string)).toBe((subscription.trial_end as number) * 1000);
    expect(await planChanges(admin.organisation.id)).toEqual([
      { type: "PLAN_UPGRADED", actor: null, metadata: expect.objectContaining({ from: "FREE", to: "PRO", source: "billing" }) },
    ]);
  });

  test("a duplicate delivery is 200 and changes nothing", async () => {
    const { admin, subscription } = await subscribed();
    const event = stripeEvent("customer.subscription.updated", standin.update(subscription.id, { status: "active" }));
    expect((await deliver(event)).body.data?.outcome).toBe("applied");
    const before = await snapshotDatabase();
    const again = await deliver(event);
    expect(again).toMatchObject({ status: 200, body: { data: { outcome: "duplicate" } } });
    expect(await snapshotDatabase()).toEqual(before);
    expect(await planChanges(admin.organisation.id)).toHaveLength(1);
  });

  test("two deliveries of one event at once: one applies, the other is a duplicate", async () => {
    const { admin, sessionId } = await checkedOut("ENTERPRISE");
    const { subscription } = standin.completeCheckout(sessionId);
    const event = stripeEvent("customer.subscription.created", subscription);
    const outcomes = await Promise.all([deliver(event), deliver(event), deliver(event)]);
    expect(outcomes.map((outcome) => outcome.body.data?.outcome).sort()).toEqual(["applied", "duplicate", "duplicate"]);
    expect(await planChanges(admin.organisation.id)).toHaveLength(1);
    const recorded = await inDatabase((tx) => tx.select().from(billingEvents).where(eq(billingEvents.eventId, event.id)));
    expect(recorded).toHaveLength(1);
  });

  test("an old snapshot arriving late does not overwrite the newer state (each event is read back from Stripe)", async () => {
    const { admin, subscription } = await subscribed();
    const trialing = stripeEvent("customer.subscription.updated", subscription);
    const upgraded = stripeEvent("customer.subscription.updated", standin.changePrice(subscription.id, PRICES.ENTERPRISE));
    standin.update(subscription.id, { status: "active" });
    expect((await deliver(upgraded)).status).toBe(200);
    expect((await deliver(trialing)).status).toBe(200); // says PRO and trialing: older than what Stripe holds
    expect(await billingOf(admin)).toMatchObject({ plan: "ENTERPRISE", status: "active" });
  });

  test("events of other types get 200 and are ignored; events for a customer of no organisation change nothing", async () => {
    const ignored = await deliver(stripeEvent("payment_intent.succeeded", { id: "pi_1", object: "payment_intent" }));
    expect(ignored).toMatchObject({ status: 200, body: { data: { outcome: "ignored" } } });
    const stranger = standin.subscribe("cus_stranger", { price: PRICES.PRO });
    standin.customers.set("cus_stranger", { id: "cus_stranger", object: "customer", metadata: {} } as never);
    const before = await snapshotDatabase();
    const unknown = await deliver(stripeEvent("customer.subscription.created", stranger));
    expect(unknown.body.data?.outcome).toBe("unknown_customer");
    const after = await snapshotDatabase();
    expect({ ...after, billing_events: before.billing_events }).toEqual(before);
  });

  test("a customer Stripe knows but we did not store (its metadata names the organisation) is adopted", async () => {
    const admin = await registerOrg(api);
    const customer = `cus_adopted_${admin.organisation.id.slice(0, 8)}`;
    standin.customers.set(customer, { id: customer, object: "customer", metadata: { organisationId: admin.organisation.id } } as never);
    const subscription = standin.subscribe(customer, { price: PRICES.PRO, status: "active" });
    expect((await deliver(stripeEvent("customer.subscription.created", subscription))).body.data?.outcome).toBe("applied");
    expect(await customerOf(admin.organisation.id)).toBe(customer);
    expect((await billingOf(admin)).plan).toBe("PRO");
  });

  test("Stripe unreachable while an event is applied: 503, no ledger row, and the redelivery applies it", async () => {
    const { admin, sessionId } = await checkedOut();
    const { subscription } = standin.completeCheckout(sessionId);
    const event = stripeEvent("customer.subscription.created", subscription);
    standin.down();
    try {
      const failed = await deliver(event);
      expect(failed.status).toBe(503);
      expect(failed.body.code).toBe("BILLING_UNAVAILABLE");
    } finally {
      standin.up();
    }
    expect(await inDatabase((tx) => tx.select().from(billingEvents).where(eq(billingEvents.eventId, event.id)))).toEqual([]);
    expect((await deliver(event)).body.data?.outcome).toBe("applied");
    expect((await billingOf(admin)).plan).toBe("PRO");
  });
});

describe("entitlements from status", () => {
  test("past_due keeps the plan for BILLING_GRACE_DAYS and mails each ADMIN once per invoice, however often it is delivered", async () => {
    const { admin, customer, subscription } = await subscribed();
    const secondAdmin = await addMember(api, admin, "ADMIN");
    const failedInvoice = standin.invoice(customer, subscription.id, { status: "open", amount_due: 4900 });
    standin.update(subscription.id, { status: "past_due", trial_end: null });
    const failed = stripeEvent("invoice.payment_failed", failedInvoice);
    const retried = stripeEvent("invoice.payment_failed", failedInvoice); // Stripe's next attempt: a new event, the same invoice
    for (const event of [
      failed,
      failed,
      retried,
      stripeEvent("customer.subscription.updated", standin.subscriptions.get(subscription.id) as object),
    ]) {
      expect((await deliver(event)).status).toBe(200);
    }
    const billing = await billingOf(admin);
    expect(billing).toMatchObject({ plan: "PRO", status: "past_due" });
    const graceDays = (Date.parse(billing.graceUntil as string) - Date.now()) / 86_400_000;
    expect(graceDays).toBeGreaterThan(6.99);
    expect(graceDays).toBeLessThanOrEqual(7);

    for (const email of [admin.email, secondAdmin.email]) {
      const mails = await dunningMailTo(email);
      expect(mails).toHaveLength(1);
      expect(mails[0]?.body).toContain("49.00 EUR");
      expect(mails[0]?.body).toContain(`${APP_URL}/billing`);
    }
    expect(await dunningMailTo(secondAdmin.email)).toHaveLength(1);
  });

  test("a failure whose invoice was paid before we heard sends no mail", async () => {
    const { admin, customer, subscription } = await subscribed();
    const invoice = standin.invoice(customer, subscription.id, { status: "open" });
    const failedThen = stripeEvent("invoice.payment_failed", invoice);
    standin.setInvoice(invoice.id, { status: "paid" });
    await deliver(stripeEvent("invoice.paid", standin.invoices.get(invoice.id) as object));
    await deliver(failedThen);
    expect(await dunningMailTo(admin.email)).toEqual([]);
  });

  test("a grace period that ran out moves the organisation to FREE (the sweep), with PLAN_DOWNGRADED from billing", async () => {
    const { admin, subscription } = await subscribed();
    standin.update(subscription.id, { status: "past_due" });
    await deliver(stripeEvent("customer.subscription.updated", standin.subscriptions.get(subscription.id) as object));
    expect((await billingOf(admin)).plan).toBe("PRO");
    await inDatabase((tx) =>
      queryRows(
        tx,
        sql`update billing_subscriptions set past_due_since = now() - interval '7 days 1 minute'
            where organisation_id = ${admin.organisation.id} returning 1`,
      ),
    );
    expect(await server.billing.graceSweep?.sweep()).toBeGreaterThanOrEqual(1);
    expect(await billingOf(admin)).toMatchObject({ plan: "FREE", status: "past_due" });
    expect((await planChanges(admin.organisation.id)).at(-1)).toMatchObject({
      type: "PLAN_DOWNGRADED",
      actor: null,
      metadata: { from: "PRO", to: "FREE", source: "billing" },
    });
    // Paid after all: the plan comes back.
    standin.update(subscription.id, { status: "active" });
    await deliver(stripeEvent("customer.subscription.updated", standin.subscriptions.get(subscription.id) as object));
    expect(await billingOf(admin)).toMatchObject({ plan: "PRO", status: "active", graceUntil: null });
  });

  for (const status of ["canceled", "unpaid", "incomplete_expired"] as const) {
    test(`${status} grants FREE`, async () => {
      const { admin, subscription } = await subscribed("ENTERPRISE");
      standin.update(subscription.id, { status });
      const type = status === "canceled" ? "customer.subscription.deleted" : "customer.subscription.updated";
      await deliver(stripeEvent(type, standin.subscriptions.get(subscription.id) as object));
      expect(await billingOf(admin)).toMatchObject({ plan: "FREE", status });
    });
  }

  test("a downgrade from billing is never refused: members over the limit stay, new invites and accepts get 403 PLAN_LIMIT_REACHED", async () => {
    const { admin, subscription } = await subscribed();
    const pending = await invite(api, admin);
    for (let i = 0; i < 4; i++) await addMember(api, admin);
    standin.update(subscription.id, { status: "canceled" });
    await deliver(stripeEvent("customer.subscription.deleted", standin.subscriptions.get(subscription.id) as object));
    const organisation = (await api.get("/api/organisations", { token: admin.accessToken })).body as {
      data: { subscriptionPlan: string; memberCount: number };
    };
    expect(organisation.data).toMatchObject({ subscriptionPlan: "FREE", memberCount: 5 });
    refusalOf(
      403,
      await api.post("/api/users/invite", { token: admin.accessToken, body: { email: "one-more@example.com", role: "MEMBER" } }),
      "PLAN_LIMIT_REACHED",
    );
    refusalOf(403, await acceptInvite(api, pending.token), "PLAN_LIMIT_REACHED");
  });
});

describe("trial reminders", () => {
  test("customer.subscription.trial_will_end mails the ADMINs once per trial", async () => {
    const { admin, subscription } = await subscribed();
    const event = stripeEvent("customer.subscription.trial_will_end", subscription);
    await deliver(event);
    await deliver(stripeEvent("customer.subscription.trial_will_end", subscription));
    const reminders = (await mailTo(admin.email)).filter((mail) => mail.subject === "Your trial ends soon");
    expect(reminders).toHaveLength(1);
  });
});

describe("per-seat prices (STRIPE_SEAT_PRICING=per_seat)", () => {
  let perSeat: TestServer;
  let seatsApi: Client;
  beforeAll(async () => {
    perSeat = await startTestServer(stripeEnv(standin, { STRIPE_SEAT_PRICING: "per_seat" }));
    seats = perSeat;
    seatsApi = createClient(perSeat.base);
  });

  const quantityAtStripe = (subscriptionId: string) => standin.subscriptions.get(subscriptionId)?.items.data[0]?.quantity;
  /** Runs the seat jobs that are due, on every instance (any may have claimed it). */
  const runJobs = async () => {
    for (const instance of [perSeat, server]) await instance.billing.jobs?.flush();
  };

  async function perSeatSubscription(members: number) {
    const admin = await registerOrg(seatsApi);
    await seatsApi.patch("/api/organisations", { token: admin.accessToken, body: { name: "Seats" } });
    for (let i = 1; i < members; i++) await addMember(seatsApi, admin);
    const response = await seatsApi.post("/api/billing/checkout", { token: admin.accessToken, body: { plan: "PRO" } });
    const sessionId = parseWith(billingRoutes.checkout, 200, response).data.url.split("/").pop() as string;
    const { subscription } = standin.completeCheckout(sessionId, "active");
    await deliverEvent(perSeat.base, stripeEvent("customer.subscription.created", subscription), WEBHOOK_SECRET);
    return { admin, subscription };
  }

  test("checkout's quantity is the member count", async () => {
    const { subscription } = await perSeatSubscription(3);
    expect(quantityAtStripe(subscription.id)).toBe(3);
  });

  test("each change of membership brings the quantity in step, through a durable job with an idempotency key", async () => {
    const { admin, subscription } = await perSeatSubscription(2);
    const added = await addMember(seatsApi, admin);
    await runJobs();
    expect(quantityAtStripe(subscription.id)).toBe(3);
    const update = standin.requestsTo(`/v1/subscriptions/${subscription.id}`, "POST").at(-1);
    expect(update?.idempotencyKey).toMatch(/^seats-[0-9a-f-]{36}-\d+-3$/);

    await seatsApi.delete(`/api/users/${added.user.id}`, { token: admin.accessToken });
    await runJobs();
    expect(quantityAtStripe(subscription.id)).toBe(2);
    expect((await billingOf(admin, seatsApi)).seats).toBe(2);
  });

  test("a Stripe outage delays the update but never loses it", async () => {
    const { admin, subscription } = await perSeatSubscription(1);
    standin.down();
    try {
      await addMember(seatsApi, admin);
      await addMember(seatsApi, admin);
      await runJobs();
      expect(quantityAtStripe(subscription.id)).toBe(1);
      const [open] = await inDatabase((tx) =>
        tx.select().from(jobs).where(sql`${jobs.key} = ${admin.organisation.id} and ${jobs.doneAt} is null`),
      );
      expect(open?.attempts).toBeGreaterThanOrEqual(1);
      expect(open?.lastError).toBeTruthy();
    } finally {
      standin.up();
    }
    // The retry comes due (backoff 2 s: brought forward rather than waited for).
    await inDatabase((tx) =>
      queryRows(tx, sql`update jobs set next_attempt_at = now() where key = ${admin.organisation.id} and done_at is null returning 1`),
    );
    await runJobs();
    expect(quantityAtStripe(subscription.id)).toBe(3);
  });

  test("deleting the organisation cancels its subscription through the same job", async () => {
    const { admin, subscription } = await perSeatSubscription(1);
    const deleted = await seatsApi.delete("/api/organisations", { token: admin.accessToken, body: { confirmName: "Seats" } });
    expect(deleted.status).toBe(200);
    await runJobs();
    expect(standin.subscriptions.get(subscription.id)?.status).toBe("canceled");
    expect(standin.requestsTo(`/v1/subscriptions/${subscription.id}`, "DELETE").at(-1)?.idempotencyKey).toBe(`cancel-${subscription.id}`);
  });
});

/** mulberry32: a small seeded generator, so every failing seed can be replayed. */
function seeded(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A subscription's life at the stand-in — trial, payment, failure, recovery, plan change, a
 * second failure, cancellation at period end, then the end — with the events Stripe sent along
 * the way (each a snapshot of its moment), and a few it sends that change nothing here.
 * `ended: false` stops before the end: past due on ENTERPRISE, in its grace period.
 */
function subscriptionLife(customer: string, organisationId: string, ended: boolean) {
  const events: ReturnType<typeof stripeEvent>[] = [];
  const send = (type: Parameters<typeof stripeEvent>[0], object: object) => events.push(stripeEvent(type, object));
  const subscription = standin.subscribe(customer, { price: PRICES.PRO, trialDays: 14, metadata: { organisationId } });
  const at = () => standin.subscriptions.get(subscription.id) as object;
  send("customer.created", standin.customers.get(customer) as object);
  send("customer.subscription.created", at());
  send("checkout.session.completed", {
    id: "cs_x",
    object: "checkout.session",
    customer,
    client_reference_id: organisationId,
    subscription: subscription.id,
  });
  send("invoice.paid", standin.invoice(customer, subscription.id, { status: "paid", amount_due: 0 }));
  send("customer.subscription.trial_will_end", at());
  standin.update(subscription.id, { status: "active", trial_end: Math.floor(Date.now() / 1000) - 60 });
  send("customer.subscription.updated", at());
  send("invoice.paid", standin.invoice(customer, subscription.id, { status: "paid" }));
  const firstFailure = standin.invoice(customer, subscription.id, { status: "open" });
  send("invoice.payment_failed", firstFailure);
  standin.update(subscription.id, { status: "past_due" });
  send("customer.subscription.updated", at());
  send("invoice.paid", standin.setInvoice(firstFailure.id, { status: "paid" }));
  standin.update(subscription.id, { status: "active" });
  send("customer.subscription.updated", at());
  send("payment_intent.succeeded", { id: "pi_x", object: "payment_intent", customer });
  send("customer.subscription.updated", standin.changePrice(subscription.id, PRICES.ENTERPRISE));
  send("invoice.paid", standin.invoice(customer, subscription.id, { status: "paid", amount_due: 3100 }));
  const secondFailure = standin.invoice(customer, subscription.id, { status: "open", amount_due: 9900 });
  send("invoice.created", secondFailure);
  send("invoice.payment_failed", secondFailure);
  standin.update(subscription.id, { status: "past_due" });
  send("customer.subscription.updated", at());
  send("invoice.payment_failed", secondFailure);
  standin.update(subscription.id, { cancel_at_period_end: true });
  send("customer.subscription.updated", at());
  if (ended) {
    standin.update(subscription.id, { status: "canceled", ended_at: Math.floor(Date.now() / 1000) });
    send("customer.subscription.deleted", at());
  }
  return events;
}

/** Each event once or twice, in a seeded order. */
function duplicatedAndShuffled<T>(events: T[], seed: number): T[] {
  const random = seeded(seed);
  const deliveries = events.flatMap((event) => (random() < 0.5 ? [event, event] : [event]));
  for (let i = deliveries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j] as T, deliveries[i] as T];
  }
  return deliveries;
}

/** What the organisation ends as, without the instants that depend on when it ran. */
async function endState(admin: Session) {
  const { graceUntil, trialEnd, currentPeriodEnd, ...billing } = await billingOf(admin);
  const mail = (await mailTo(admin.email)).map((message) => message.subject);
  const notices = await inDatabase((tx) =>
    tx.select({ kind: billingNotices.kind }).from(billingNotices).where(eq(billingNotices.organisationId, admin.organisation.id)),
  );
  const changes = (await planChanges(admin.organisation.id)).map((change) => `${change.metadata.from}→${change.metadata.to}`);
  return { billing, inGrace: graceUntil !== null, mail: mail.sort(), notices: notices.map((notice) => notice.kind).sort(), changes };
}

describe("a subscription's life, delivered duplicated and shuffled (50 fixed seeds)", () => {
  for (const ended of [true, false]) {
    test(`always ends as when delivered in order, and sends no email twice (${ended ? "cancelled" : "past due in grace"})`, async () => {
      const inOrder = await checkedOut();
      for (const event of subscriptionLife(inOrder.customer, inOrder.admin.organisation.id, ended)) {
        expect((await deliver(event)).status).toBe(200);
      }
      const expected = await endState(inOrder.admin);
      expect(expected.billing.plan).toBe(ended ? "FREE" : "ENTERPRISE");
      expect(expected.mail.filter((subject) => subject === "A payment for your subscription failed")).toHaveLength(1);

      for (let seed = 1; seed <= 50; seed++) {
        const organisation = await checkedOut();
        const events = subscriptionLife(organisation.customer, organisation.admin.organisation.id, ended);
        for (const event of duplicatedAndShuffled(events, seed)) {
          const answer = await deliver(event);
          if (answer.status !== 200) throw new Error(`seed ${seed}: ${event.type} answered ${answer.status}`);
        }
        const state = await endState(organisation.admin);
        if (!Bun.deepEquals(state, expected)) {
          throw new Error(`seed ${seed} ended differently:\n${JSON.stringify(state)}\nin order:\n${JSON.stringify(expected)}`);
        }
      }
    }, 240_000);
  }
});

test("the ledger keeps events after their organisation is deleted (a late redelivery stays a duplicate)", async () => {
  const { admin, subscription } = await subscribed();
  const event = stripeEvent("customer.subscription.updated", subscription);
  await deliver(event);
  await api.delete("/api/organisations", { token: admin.accessToken, body: { confirmName: admin.organisation.name } });
  expect((await deliver(event)).body.data?.outcome).toBe("duplicate");
});

test("an operator's comp is not overridden by billing events while it lasts; lifted, the plan is what the subscription grants", async () => {
  const { admin, subscription } = await subscribed();
  const operator = await operatorSession(api);
  const comped = await api.post(`/api/admin/organisations/${admin.organisation.id}/plan`, {
    token: operator.accessToken,
    body: { plan: "ENTERPRISE", reason: "Design partner" },
  });
  expect(comped.status).toBe(200);
  standin.update(subscription.id, { status: "canceled" });
  expect((await deliver(stripeEvent("customer.subscription.deleted", standin.subscriptions.get(subscription.id) as object))).status).toBe(
    200,
  );
  expect(await billingOf(admin)).toMatchObject({ plan: "ENTERPRISE", source: "comp", status: "canceled" });
  const lifted = await api.post(`/api/admin/organisations/${admin.organisation.id}/plan`, {
    token: operator.accessToken,
    body: { plan: null, reason: "Partnership over" },
  });
  expect(lifted.status).toBe(200);
  expect(await billingOf(admin)).toMatchObject({ plan: "FREE", source: "billing" });
});
