// One organisation's data as NDJSON: for its ADMINs (organisations module) and the operators (admin module).
export { createOrganisationExport, endOfExport, type OrganisationExport } from "./organisation-export.ts";
