import { eq } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { memberships, organisations } from "../../db/schema/index.ts";
import { announceAuthChange } from "../sessions/index.ts";
import { createOrganisationWithUniqueSlug } from "./slug.ts";

/** A new organisation with `userId` as its first member, an ADMIN: registering, or an account creating another. */
export async function foundOrganisation(tx: Tx, name: string, userId: string) {
  const organisation = await createOrganisationWithUniqueSlug(tx, name);
  await tx.insert(memberships).values({ organisationId: organisation.id, userId, role: "ADMIN" });
  return organisation;
}

/**
 * Deletes the organisation and everything of it — members, invites, sessions, the activity log,
 * queued mail — in `tx`; its sockets close and its sessions die on every instance at the commit.
 * An ADMIN's deletion and an operator's both come here.
 */
export async function deleteOrganisationIn(tx: Tx, organisationId: string): Promise<void> {
  await announceAuthChange(tx, { kind: "organisation", orgId: organisationId });
  await tx.delete(organisations).where(eq(organisations.id, organisationId));
}
