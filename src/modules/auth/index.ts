// What other modules, the realtime side and the composition root may use of the auth module.
export { type AuthResult, AuthResultSchema } from "./auth.schemas.ts";
export { createAuthService } from "./auth.service.ts";
export { AUTH_CHANNEL, type AuthChange, announceAuthChange, parseAuthChange, revokeSessions } from "./revocations.ts";
export { createSessionGuard, type SessionGuard, standingsOf } from "./session-guard.ts";
export { createSessionService, type SessionService } from "./sessions.service.ts";
