// Every hot statement that the database holds as a self-scoping function (db/tenant-reads.ts). `bun
// run db:reads` writes their definitions into a migration; tests/tenant-reads.test.ts checks that
// the migrated database holds exactly these, and runs each one's query under row-level security.
import type { Read, Write } from "./db/tenant-reads.ts";
import { exportBatchRead, feedPageRead, messagesAfterRead, recordActivityWrite } from "./modules/activity/index.ts";
import { membersPageRead, pendingInvitesPageRead } from "./modules/members/index.ts";
import { userSessionsRead } from "./modules/sessions/index.ts";

export const HOT_READS: readonly Read[] = [
  feedPageRead,
  messagesAfterRead,
  exportBatchRead,
  membersPageRead,
  pendingInvitesPageRead,
  userSessionsRead,
];

/** A change that is nothing but its activity (a broadcast) commits as one such statement: it is on the fan-out's path. */
export const HOT_WRITES: readonly Write[] = [recordActivityWrite];

export const SCOPED_FUNCTIONS: readonly Read[] = [...HOT_READS, ...HOT_WRITES];
