import { randomBytes } from "node:crypto";
import type { Tx } from "../../db/client.ts";
import { organisations } from "../../db/schema/index.ts";
import { organisationSummaryColumns } from "./summary.ts";

/** "Acme Café, Ltd." → "acme-cafe-ltd" */
export const slugify = (name: string): string =>
  name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48) || "organisation";

/**
 * Inserts the organisation under the readable slug, or under the slug with a random suffix
 * when that is taken. ON CONFLICT DO NOTHING keeps the surrounding transaction usable.
 */
export async function createOrganisationWithUniqueSlug(tx: Tx, name: string) {
  const base = slugify(name);
  for (let attempt = 0; attempt < 5; attempt++) {
    const slug = attempt === 0 ? base : `${base}-${randomBytes(3).toString("hex")}`;
    const [organisation] = await tx
      .insert(organisations)
      .values({ name, slug })
      .onConflictDoNothing({ target: organisations.slug })
      .returning(organisationSummaryColumns);
    if (organisation) return organisation;
  }
  throw new Error(`could not find a free slug for "${base}"`);
}
