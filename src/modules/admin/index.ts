// Platform administration: the operators' routes, their check, and the comp sweep.
import type { Config } from "../../config/env.ts";
import type { Db } from "../../db/client.ts";
import type { AccountContext } from "../../lib/auth-context.ts";
import type { Logger } from "../../lib/logger.ts";
import type { OrganisationExport } from "../data-export/index.ts";
import { createAdminService } from "./admin.service.ts";
import { createCompSweep } from "./comp-sweep.ts";
import { nextPlanAfterComp } from "./next-plan.ts";
import { requireOperator } from "./operators.ts";

export { grantPlatformRole } from "./grants.ts";
export type { Operator } from "./operators.ts";

type Deps = { db: Db; config: Config; logger: Logger; exports: OrganisationExport };

export function createAdmin({ db, config, logger, exports }: Deps) {
  const next = nextPlanAfterComp(config);
  return {
    service: {
      ...createAdminService({ db, exports, nextPlanAfterComp: next }),
      operatorOf: (account: AccountContext) => requireOperator(db, account),
    },
    compSweep: createCompSweep({ db, nextPlanAfterComp: next, logger }),
  };
}

export type Admin = ReturnType<typeof createAdmin>;
