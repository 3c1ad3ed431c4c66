// A local stand-in for the few Stripe endpoints the billing adapter calls — this machine cannot
// reach Stripe. It answers with objects of the `stripe` package's own types (the fields this
// backend reads, and the ones that make an object recognisable; the rest left out), honours
// idempotency keys as Stripe does, records every request, and can be slowed, broken or taken
// down. Events are built here and signed with the SDK itself (see deliverEvent), so the real
// verification code runs.
import qs from "qs";
import Stripe from "stripe";

type Json = Record<string, unknown>;
export type StandinRequest = { method: string; path: string; body: Json; idempotencyKey: string | null };

/** An object of the SDK's type, with the fields given: the stand-in never fills a field nobody reads. */
const stripeObject = <T>(fields: Partial<T>): T => fields as T;

const now = () => Math.floor(Date.now() / 1000);
const DAY = 86_400;

export type SubscriptionSetup = {
  price: string;
  status?: Stripe.Subscription.Status;
  quantity?: number;
  trialDays?: number;
  metadata?: Record<string, string>;
};

export async function startStripeStandin() {
  let sequence = 0;
  const nextId = (prefix: string) => `${prefix}_${(++sequence).toString(36).padStart(6, "0")}${Math.random().toString(36).slice(2, 8)}`;

  const customers = new Map<string, Stripe.Customer>();
  const subscriptions = new Map<string, Stripe.Subscription>();
  const invoices = new Map<string, Stripe.Invoice>();
  const sessions = new Map<string, Stripe.Checkout.Session & { quantity: number; price: string; trialDays?: number }>();
  const idempotent = new Map<string, { status: number; body: unknown }>();
  const requests: StandinRequest[] = [];
  /** Failures to answer before serving normally again, newest last. */
  const failures: Array<{ status: number; type: string; message: string }> = [];
  /** Requests whose answer waits until the test releases it: by "METHOD /path-prefix". */
  const holds = new Map<string, { reached: () => void; released: Promise<void> }>();

  const subscriptionObject = (customer: string, setup: SubscriptionSetup): Stripe.Subscription => {
    const id = nextId("sub");
    const trialEnd = setup.trialDays ? now() + setup.trialDays * DAY : null;
    const periodEnd = trialEnd ?? now() + 30 * DAY;
    const item = stripeObject<Stripe.SubscriptionItem>({
      id: nextId("si"),
      object: "subscription_item",
      price: stripeObject<Stripe.Price>({ id: setup.price, object: "price", active: true, currency: "eur", unit_amount: 1200 }),
      quantity: setup.quantity ?? 1,
      subscription: id,
      current_period_start: now(),
      current_period_end: periodEnd,
      created: now(),
      metadata: {},
    });
    return stripeObject<Stripe.Subscription>({
      id,
      object: "subscription",
      customer,
      status: setup.status ?? (trialEnd ? "trialing" : "active"),
      created: now() + sequence, // strictly increasing, as Stripe's are for one customer in practice
      start_date: now(),
      trial_start: trialEnd ? now() : null,
      trial_end: trialEnd,
      cancel_at_period_end: false,
      canceled_at: null,
      ended_at: null,
      metadata: setup.metadata ?? {},
      items: stripeObject<Stripe.ApiList<Stripe.SubscriptionItem>>({
        object: "list",
        data: [item],
        has_more: false,
        url: "/v1/subscription_items",
      }),
      currency: "eur",
      livemode: false,
    });
  };

  function stripeError(status: number, type: string, message: string, code?: string) {
    return Response.json({ error: { type, message, ...(code ? { code } : {}) } }, { status });
  }
  const missing = (what: string, id: string) => stripeError(404, "invalid_request_error", `No such ${what}: '${id}'`, "resource_missing");

  function route(method: string, path: string, body: Json, query: URLSearchParams): { status: number; body: unknown } | Response {
    const [, , resource, id] = path.split("/"); // "", "v1", resource, id
    if (method === "POST" && path === "/v1/customers") {
      const customer = stripeObject<Stripe.Customer>({
        id: nextId("cus"),
        object: "customer",
        name: (body.name as string) ?? null,
        email: (body.email as string) ?? null,
        metadata: (body.metadata as Record<string, string>) ?? {},
        created: now(),
        livemode: false,
      });
      customers.set(customer.id, customer);
      return { status: 200, body: customer };
    }
    if (method === "GET" && resource === "customers" && id) {
      const customer = customers.get(id);
      return customer ? { status: 200, body: customer } : missing("customer", id);
    }
    if (method === "POST" && path === "/v1/checkout/sessions") {
      const customer = body.customer as string;
      if (!customers.has(customer)) return missing("customer", customer);
      const [line] = (body.line_items as Array<{ price: string; quantity: string }>) ?? [];
      if (!line?.price) return stripeError(400, "invalid_request_error", "Missing required param: line_items[0][price].");
      const data = (body.subscription_data ?? {}) as { metadata?: Record<string, string>; trial_period_days?: string };
      const sessionId = nextId("cs_test");
      const session = Object.assign(
        stripeObject<Stripe.Checkout.Session>({
          id: sessionId,
          object: "checkout.session",
          mode: "subscription",
          customer,
          client_reference_id: (body.client_reference_id as string) ?? null,
          success_url: (body.success_url as string) ?? null,
          cancel_url: (body.cancel_url as string) ?? null,
          url: `https://checkout.stripe.test/c/pay/${sessionId}`,
          status: "open",
          subscription: null,
          metadata: data.metadata ?? {},
          created: now(),
          livemode: false,
        }),
        {
          quantity: Number(line.quantity ?? 1),
          price: line.price,
          ...(data.trial_period_days ? { trialDays: Number(data.trial_period_days) } : {}),
        },
      );
      sessions.set(session.id, session);
      return { status: 200, body: session };
    }
    if (method === "POST" && path === "/v1/billing_portal/sessions") {
      const customer = body.customer as string;
      if (!customers.has(customer)) return missing("customer", customer);
      const portal = stripeObject<Stripe.BillingPortal.Session>({
        id: nextId("bps"),
        object: "billing_portal.session",
        customer,
        return_url: (body.return_url as string) ?? null,
        url: `https://billing.stripe.test/p/session/${nextId("test")}`,
        created: now(),
        livemode: false,
      });
      return { status: 200, body: portal };
    }
    if (method === "GET" && path === "/v1/subscriptions") {
      const customer = query.get("customer");
      const data = [...subscriptions.values()].filter((subscription) => !customer || subscription.customer === customer);
      return { status: 200, body: { object: "list", data, has_more: false, url: "/v1/subscriptions" } };
    }
    if (resource === "subscriptions" && id) {
      const subscription = subscriptions.get(id);
      if (!subscription) return missing("subscription", id);
      if (method === "GET") return { status: 200, body: subscription };
      if (method === "DELETE") {
        if (subscription.status !== "canceled") update(id, { status: "canceled", canceled_at: now(), ended_at: now() });
        return { status: 200, body: subscriptions.get(id) };
      }
      if (method === "POST") {
        const items = (body.items as Array<{ id: string; quantity?: string; price?: string }>) ?? [];
        for (const change of items) {
          const item = subscription.items.data.find((candidate) => candidate.id === change.id);
          if (!item) return missing("subscription item", change.id);
          if (change.quantity !== undefined) item.quantity = Number(change.quantity);
          if (change.price) item.price = { ...item.price, id: change.price };
        }
        return { status: 200, body: subscription };
      }
    }
    if (method === "GET" && resource === "invoices" && id) {
      const invoice = invoices.get(id);
      return invoice ? { status: 200, body: invoice } : missing("invoice", id);
    }
    return stripeError(404, "invalid_request_error", `Unrecognized request URL (${method}: ${path}). The stand-in does not serve it.`);
  }

  function update(id: string, patch: Partial<Stripe.Subscription>): Stripe.Subscription {
    const subscription = subscriptions.get(id);
    if (!subscription) throw new Error(`no subscription ${id}`);
    const updated = { ...subscription, ...patch };
    subscriptions.set(id, updated);
    return updated;
  }

  const serve = (port = 0) =>
    Bun.serve({
      port,
      hostname: "127.0.0.1",
      async fetch(request) {
        const url = new URL(request.url);
        const text = request.method === "GET" || request.method === "DELETE" ? "" : await request.text();
        const body = qs.parse(text, { depth: 10, arrayLimit: 100 }) as Json;
        const idempotencyKey = request.headers.get("idempotency-key");
        requests.push({ method: request.method, path: url.pathname, body, idempotencyKey });
        const hold = [...holds.entries()].find(([key]) => `${request.method} ${url.pathname}`.startsWith(key));
        if (hold) {
          hold[1].reached();
          await hold[1].released;
        }
        const failure = failures.shift();
        if (failure) return stripeError(failure.status, failure.type, failure.message);
        const scope = `${request.method} ${url.pathname} ${idempotencyKey}`;
        if (idempotencyKey && idempotent.has(scope)) {
          const earlier = idempotent.get(scope) as { status: number; body: unknown };
          return Response.json(earlier.body, { status: earlier.status, headers: { "idempotent-replayed": "true" } });
        }
        const answer = route(request.method, url.pathname, body, url.searchParams);
        if (answer instanceof Response) return answer;
        if (idempotencyKey && request.method === "POST") idempotent.set(scope, answer);
        return Response.json(answer.body, { status: answer.status });
      },
    });

  let server = serve();
  const port = server.port as number;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    customers,
    subscriptions,
    invoices,
    /** Requests to `path` (a prefix), optionally of one method. */
    requestsTo: (path: string, method?: string) =>
      requests.filter((request) => request.path.startsWith(path) && (!method || request.method === method)),

    /** The next `count` requests answer with a Stripe error of `status` (500: Stripe's own fault). */
    fail(count: number, status = 500, type = "api_error", message = "Something went wrong on Stripe's end.") {
      for (let i = 0; i < count; i++) failures.push({ status, type, message });
    },
    /** Stops listening: connections are refused, as when Stripe is unreachable. */
    down: () => server.stop(true),
    up() {
      server = serve(port);
    },
    /** Holds requests starting with `key` ("POST /v1/checkout/sessions") until release(); `reached` resolves when one arrives. */
    hold(key: string) {
      let reached!: () => void;
      let release!: () => void;
      const arrived = new Promise<void>((resolve) => {
        reached = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      holds.set(key, { reached, released });
      return {
        reached: arrived,
        release() {
          holds.delete(key);
          release();
        },
      };
    },

    /** A subscription for `customer`, as Stripe would hold it after a checkout or a dashboard change. */
    subscribe(customer: string, setup: SubscriptionSetup): Stripe.Subscription {
      const subscription = subscriptionObject(customer, setup);
      subscriptions.set(subscription.id, subscription);
      return subscription;
    },
    /** Completes a Checkout Session: the subscription it asked for now exists. */
    completeCheckout(sessionId: string, status?: Stripe.Subscription.Status) {
      const session = sessions.get(sessionId);
      if (!session || typeof session.customer !== "string") throw new Error(`no session ${sessionId}`);
      const subscription = subscriptionObject(session.customer, {
        price: session.price,
        quantity: session.quantity,
        ...(session.trialDays ? { trialDays: session.trialDays } : {}),
        ...(status ? { status } : {}),
        metadata: session.metadata ?? {},
      });
      subscriptions.set(subscription.id, subscription);
      const completed = { ...session, status: "complete" as const, subscription: subscription.id };
      sessions.set(sessionId, completed);
      return { subscription, session: completed as Stripe.Checkout.Session };
    },
    update,
    /** Changes the subscription's price (a plan change in the portal). */
    changePrice(id: string, price: string): Stripe.Subscription {
      const subscription = subscriptions.get(id);
      const item = subscription?.items.data[0];
      if (!subscription || !item) throw new Error(`no subscription ${id}`);
      item.price = { ...item.price, id: price };
      return update(id, {});
    },
    invoice(customer: string, subscription: string, fields: Partial<Stripe.Invoice> = {}): Stripe.Invoice {
      const invoice = stripeObject<Stripe.Invoice>({
        id: nextId("in"),
        object: "invoice",
        customer,
        status: "open",
        amount_due: 1200,
        amount_paid: 0,
        currency: "eur",
        created: now(),
        livemode: false,
        parent: stripeObject<Stripe.Invoice.Parent>({
          type: "subscription_details",
          subscription_details: stripeObject<Stripe.Invoice.Parent.SubscriptionDetails>({ subscription, metadata: {} }),
        }),
        ...fields,
      });
      invoices.set(invoice.id, invoice);
      return invoice;
    },
    setInvoice(id: string, fields: Partial<Stripe.Invoice>): Stripe.Invoice {
      const invoice = { ...(invoices.get(id) as Stripe.Invoice), ...fields };
      invoices.set(id, invoice);
      return invoice;
    },
    stop: () => server.stop(true),
  };
}

export type StripeStandin = Awaited<ReturnType<typeof startStripeStandin>>;

/** An event as Stripe sends it: `object` is a snapshot of the object at the time of the event. */
export function stripeEvent<T extends Stripe.Event.Type>(type: T, object: object, id = `evt_${crypto.randomUUID().replaceAll("-", "")}`) {
  return stripeObject<Stripe.Event>({
    id,
    object: "event",
    type,
    api_version: Stripe.API_VERSION,
    created: now(),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object: structuredClone(object) } as Stripe.Event["data"],
  } as Partial<Stripe.Event>);
}

const signer = new Stripe("sk_test_standin");

/**
 * Signs `event` with the SDK's own test-header helper (its async form: Bun runs the SDK's
 * SubtleCrypto build, which has no synchronous HMAC) and posts it to the webhook, as Stripe does.
 */
export async function deliverEvent(base: string, event: Stripe.Event | string, secret: string, signature?: string) {
  const payload = typeof event === "string" ? event : JSON.stringify(event);
  const header = signature ?? (await signer.webhooks.generateTestHeaderStringAsync({ payload, secret }));
  const response = await fetch(`${base}/api/billing/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8", "stripe-signature": header },
    body: payload,
  });
  return { status: response.status, body: (await response.json()) as { code?: string; data?: { outcome: string } } };
}
