import { organisations } from "../../db/schema/index.ts";

/** What a token response shows of an organisation, as select-list columns: written once. */
export const organisationSummaryColumns = {
  id: organisations.id,
  name: organisations.name,
  slug: organisations.slug,
  subscriptionPlan: organisations.subscriptionPlan,
};
