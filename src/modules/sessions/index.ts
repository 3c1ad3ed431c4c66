// Sessions: opening, rotating and ending them, the guard every request asks, and the revocations every instance hears.
export type { Proof } from "./opening.ts";
export { announceAuthChange, revokeSessions, revokeUser } from "./revocations.ts";
export { createSessionGuard, type SessionGuard, type SessionHolder, type SessionState, sessionStatesOf } from "./session-guard.ts";
export { LIVE_FAMILY, userSessionsRead } from "./sessions.reads.ts";
export {
  LOGOUT_SCOPES,
  type LogoutScope,
  type SessionInfo,
  SessionInfoSchema,
  SessionsSchema,
  type TokenPair,
  TokenPairSchema,
} from "./sessions.schemas.ts";
export { createSessionService, type SessionService } from "./sessions.service.ts";
