import type { Role } from "./vocabulary.ts";

/** Roles as data: a role may do what any role of lower or equal rank may do. */
const RANK: Record<Role, number> = { MEMBER: 1, ADMIN: 2 };

export const roleSatisfies = (actual: Role, required: Role): boolean => RANK[actual] >= RANK[required];
