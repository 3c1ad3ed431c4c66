import type { Tx } from "../../db/client.ts";
import { memberships } from "../../db/schema/index.ts";
import { createOrganisationWithUniqueSlug } from "./slug.ts";

/** A new organisation with `userId` as its first member, an ADMIN: registering, or an account creating another. */
export async function foundOrganisation(tx: Tx, name: string, userId: string) {
  const organisation = await createOrganisationWithUniqueSlug(tx, name);
  await tx.insert(memberships).values({ organisationId: organisation.id, userId, role: "ADMIN" });
  return organisation;
}
