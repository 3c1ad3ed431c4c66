export * from "./activities.ts";
export * from "./enums.ts";
export * from "./invites.ts";
export * from "./memberships.ts";
export * from "./organisations.ts";
export * from "./sessions.ts";
export * from "./users.ts";
