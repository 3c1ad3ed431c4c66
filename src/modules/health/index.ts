// What the composition root uses of the health module.
export { createHealthService } from "./health.service.ts";
