// What other modules may use of the organisations module.

export { deleteOrganisationIn, foundOrganisation } from "./founding.ts";
export { createOrganisationCache, type OrganisationCache } from "./organisation-cache.ts";
export { createOrganisationService } from "./organisations.service.ts";
export { applyComp, applyPlanFromBilling, compOf, endComp } from "./plan-change.ts";
export { hasRoomFor, memberLimitOf, seatLimitMessage } from "./plans.ts";
export { adminCount, lockOrganisation, lockSeats, seatCounts } from "./seats.ts";
export { organisationSummaryColumns } from "./summary.ts";
