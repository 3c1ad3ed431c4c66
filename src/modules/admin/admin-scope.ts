import type { Db, Tx } from "../../db/client.ts";
import { type OperatorAction, withPlatformScope } from "../../db/platform.ts";
import type { Operator } from "./operators.ts";

/** Runs `fn` as `operator`'s `action`, in the platform scope: recorded in platform_audit in its own transaction (db/platform.ts). */
export type OperatorScope = <T>(
  operator: Operator,
  action: Omit<OperatorAction, "operator" | "origin">,
  fn: (tx: Tx) => Promise<T>,
) => Promise<T>;

export const operatorScope =
  (db: Db): OperatorScope =>
  (operator, action, fn) =>
    withPlatformScope(db, { ...action, operator: { userId: operator.userId, email: operator.email }, origin: operator.origin }, fn);

export const iso = (at: Date | null | undefined) => at?.toISOString() ?? null;

/** A search term as a LIKE pattern that matches it literally anywhere. */
export const containing = (term: string) => `%${term.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
