import type { Db, Tx } from "../../db/client.ts";
import type { PlanName } from "../../lib/vocabulary.ts";
import type { OrganisationExport } from "../data-export/index.ts";
import { createOrganisationOperations } from "./admin-organisations.service.ts";
import { operatorScope } from "./admin-scope.ts";
import { createUserOperations } from "./admin-users.service.ts";

type Deps = {
  db: Db;
  exports: OrganisationExport;
  nextPlanAfterComp: (tx: Tx, organisationId: string, previous: PlanName | null) => Promise<PlanName>;
};

/**
 * What the platform's operators can do, each action in the platform scope (db/platform.ts):
 * recorded in platform_audit in its own transaction, and in the organisation's feed where its
 * ADMINs should know (a suspension, a comp).
 */
export function createAdminService({ db, exports, nextPlanAfterComp }: Deps) {
  const act = operatorScope(db);
  return { ...createOrganisationOperations({ act, exports, nextPlanAfterComp }), ...createUserOperations({ act }) };
}

export type AdminService = ReturnType<typeof createAdminService>;
