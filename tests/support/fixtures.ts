import { randomUUID } from "node:crypto";
import * as authRoutes from "../../src/modules/auth/auth.routes.ts";
import { type Client, parseWith } from "./client.ts";

export const uniqueEmail = (label = "user") => `${label}-${randomUUID().slice(0, 8)}@example.com`;

export const PASSWORD = "correct-horse-battery";

export type Session = Awaited<ReturnType<typeof registerOrg>>;

/** A fresh organisation and its ADMIN, signed in. */
export async function registerOrg(client: Client, overrides: { name?: string; email?: string; organisationName?: string } = {}) {
  const input = {
    name: overrides.name ?? "Ada Admin",
    email: overrides.email ?? uniqueEmail("admin"),
    password: PASSWORD,
    organisationName: overrides.organisationName ?? `Org ${randomUUID().slice(0, 6)}`,
  };
  const { data } = parseWith(authRoutes.register, 201, await client.post("/api/auth/register", { body: input }));
  return { ...data, email: input.email, password: input.password };
}

export async function login(client: Client, email: string, password = PASSWORD, organisationId?: string) {
  const response = await client.post("/api/auth/login", { body: { email, password, organisationId } });
  return parseWith(authRoutes.login, 200, response).data;
}
