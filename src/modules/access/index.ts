// Who may act now: the session guard every request asks, and the revocations every instance hears.
export { AUTH_CHANNEL, type AuthChange, announceAuthChange, parseAuthChange, revokeSessions } from "./revocations.ts";
export { createSessionGuard, type SessionGuard, standingsOf } from "./session-guard.ts";
