// What other modules may use of the organisations module.

export { createOrganisationCache, type OrganisationCache } from "./organisation-cache.ts";
export { createOrganisationService } from "./organisations.service.ts";
export { hasRoomFor, memberLimitOf, seatLimitMessage } from "./plans.ts";
export { adminCount, lockOrganisation, lockSeats } from "./seats.ts";
export { createOrganisationWithUniqueSlug } from "./slug.ts";
export { organisationSummaryColumns } from "./summary.ts";
