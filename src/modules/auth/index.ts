// What other modules and the composition root may use of the auth module.
export { type AuthResult, AuthResultSchema } from "./auth.schemas.ts";
export { createAuthService } from "./auth.service.ts";
