import { and, isNotNull, lte, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { organisations } from "../../db/schema/index.ts";
import { withSystem } from "../../db/tenant.ts";
import type { Logger } from "../../lib/logger.ts";
import { endComp } from "../organisations/index.ts";
import type { NextPlanAfterComp } from "./next-plan.ts";

const SWEEP_EVERY_MS = 60_000;

/** A comp's end date passes with no request to notice: every minute, lapsed comps end and the plan goes back. */
export function createCompSweep({ db, nextPlanAfterComp, logger }: { db: Db; nextPlanAfterComp: NextPlanAfterComp; logger: Logger }) {
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<number> | undefined;

  async function sweep(): Promise<number> {
    const lapsed = await withSystem(db, (tx) =>
      tx
        .select({ id: organisations.id })
        .from(organisations)
        .where(and(isNotNull(organisations.compPlan), lte(organisations.compUntil, sql`now()`))),
    );
    for (const { id } of lapsed) {
      await withSystem(db, (tx) => endComp(tx, id, (previous) => nextPlanAfterComp(tx, id, previous)));
      logger.info("a comp plan lapsed; the plan is back to what billing grants", { organisationId: id });
    }
    return lapsed.length;
  }

  const runOnce = () =>
    (running ??= sweep()
      .catch((error) => {
        logger.warn("comp sweep failed; will retry", { error: error instanceof Error ? error.message : String(error) });
        return 0;
      })
      .finally(() => {
        running = undefined;
      }));

  return {
    sweep: runOnce,
    start() {
      timer = setInterval(runOnce, SWEEP_EVERY_MS);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

export type CompSweep = ReturnType<typeof createCompSweep>;
