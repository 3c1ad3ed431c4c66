import type { ClientOrigin } from "../lib/auth-context.ts";
import type { Db, Tx } from "./client.ts";
import { platformAudit } from "./schema/index.ts";
import { withSystem } from "./tenant.ts";

/** What an operator is doing, for the platform's audit log: who, what, on what, why. */
export type OperatorAction = {
  operator: { userId: string; email: string };
  /** "organisation.suspend", "user.disable", "organisations.search"… */
  action: string;
  target: { type: "organisation" | "user" | "platform"; id?: string };
  reason?: string;
  detail?: Record<string, unknown>;
  origin?: ClientOrigin;
};

/**
 * The third scope, beside withOrg (one tenant, as app_tenant under row-level security) and
 * withSystem (the system's own work: senders, sweeps, sign-in): an operator's cross-tenant
 * work, and nothing else. It runs under the system policy, and its first statement writes the
 * action to platform_audit — in the same transaction, so an operator action happens if and only
 * if it is recorded. Only the admin module calls it (tests/structure.test.ts holds that), and
 * only behind the operator check (middleware/operator.ts).
 */
export function withPlatformScope<T>(db: Db, action: OperatorAction, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return withSystem(db, async (tx) => {
    await tx.insert(platformAudit).values({
      operatorId: action.operator.userId,
      operatorEmail: action.operator.email,
      action: action.action,
      targetType: action.target.type,
      targetId: action.target.id ?? null,
      reason: action.reason ?? null,
      detail: action.detail ?? null,
      requestId: action.origin?.requestId ?? null,
      ip: action.origin?.ip ?? null,
      userAgent: action.origin?.userAgent ?? null,
    });
    return fn(tx);
  });
}
