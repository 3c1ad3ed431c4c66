import type { Instance } from "./instance.ts";

export type Member = { id: string; email: string; token: string };
export type Org = { id: string; name: string; admin: Member; members: Member[] };
export type Outcome = { at: number; status: number; route: string };

const PASSWORD = "soak-password-1";

/**
 * A steady mixed load across the organisations, through whichever instance is up (a load
 * balancer's part: a refused connection is tried on the other one). Every answer is kept with
 * its time, so 5xx can be placed inside or outside the fault windows, and every mail the API
 * promised (a 201 invitation, a 202 reset) is counted for the soak to find at the relay.
 */
export function startLoad(instances: Instance[], orgs: Org[], { perSecond }: { perSecond: number }) {
  const outcomes: Outcome[] = [];
  const promisedMail = new Map<string, number>();
  const promise = (to: string) => promisedMail.set(to, (promisedMail.get(to) ?? 0) + 1);
  let turn = 0;
  let inFlight = 0;

  async function call(method: string, path: string, route: string, { token, body }: { token?: string; body?: unknown } = {}) {
    for (let attempt = 0; attempt < instances.length; attempt++) {
      const instance = instances[(turn++ + attempt) % instances.length] as Instance;
      try {
        const response = await fetch(`${instance.base}${path}`, {
          method,
          headers: {
            ...(body !== undefined ? { "content-type": "application/json" } : {}),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const json = (await response.json().catch(() => null)) as { data?: Record<string, unknown> } | null;
        outcomes.push({ at: Date.now(), status: response.status, route });
        return { status: response.status, data: json?.data };
      } catch {
        // The instance is down: as a load balancer would, try the other one.
      }
    }
    outcomes.push({ at: Date.now(), status: 0, route });
    return { status: 0, data: undefined };
  }

  const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)] as T;
  let invited = 0;

  const actions: Array<[weight: number, run: (org: Org) => Promise<unknown>]> = [
    [40, (org) => call("GET", "/api/organisations", "GET /api/organisations", { token: pick([org.admin, ...org.members]).token })],
    [25, (org) => call("GET", "/api/activities?limit=20", "GET /api/activities", { token: pick([org.admin, ...org.members]).token })],
    [
      15,
      (org) =>
        call("POST", "/api/organisations/broadcast", "POST broadcast", { token: org.admin.token, body: { message: `soak ${Date.now()}` } }),
    ],
    [
      8,
      async (org) => {
        const email = `soak-${invited++}-${Math.random().toString(36).slice(2, 8)}@soak.example`;
        const sent = await call("POST", "/api/users/invite", "POST invite", { token: org.admin.token, body: { email, role: "MEMBER" } });
        if (sent.status !== 201) return;
        promise(email);
        const joined = await call("POST", "/api/users/accept-invite", "POST accept-invite", {
          body: { token: sent.data?.token, name: "Soaker", password: PASSWORD },
        });
        const user = joined.data?.user as { id: string } | undefined;
        if (joined.status === 200 && user) org.members.push({ id: user.id, email, token: joined.data?.accessToken as string });
      },
    ],
    [
      5,
      async (org) => {
        const member = org.members.length > 0 ? pick(org.members) : org.admin;
        if ((await call("POST", "/api/auth/forgot-password", "POST forgot-password", { body: { email: member.email } })).status === 202)
          promise(member.email);
      },
    ],
    [
      7,
      async (org) => {
        if (org.members.length > 6) {
          const gone = org.members.splice(Math.floor(Math.random() * org.members.length), 1)[0] as Member;
          await call("DELETE", `/api/users/${gone.id}`, "DELETE member", { token: org.admin.token });
        } else
          await call("PATCH", "/api/organisations", "PATCH rename", {
            token: org.admin.token,
            body: { name: `${org.name} ${Date.now() % 1000}` },
          });
      },
    ],
  ];
  const total = actions.reduce((sum, [weight]) => sum + weight, 0);
  const choose = () => {
    let at = Math.random() * total;
    for (const [weight, run] of actions) {
      at -= weight;
      if (at < 0) return run;
    }
    return (actions[0] as [number, (org: Org) => Promise<unknown>])[1];
  };

  const timer = setInterval(() => {
    if (inFlight > 50) return; // the API is down or slow: do not pile up
    inFlight++;
    void choose()(pick(orgs)).finally(() => inFlight--);
  }, 1000 / perSecond);

  return {
    outcomes,
    promisedMail,
    async stop() {
      clearInterval(timer);
      while (inFlight > 0) await Bun.sleep(50);
    },
  };
}

export const SOAK_PASSWORD = PASSWORD;
