import pg from "pg";
import type { Fault } from "./faults.ts";
import type { Outcome } from "./load.ts";
import type { Watchers } from "./watchers.ts";

/** A fault's window, for answers: from its start until a few seconds after it ended. */
const GRACE_MS = 3000;
const inWindow = (faults: Fault[], at: number) => faults.some((fault) => at >= fault.startedAt && at <= fault.endedAt + GRACE_MS);

export type Tally = Record<string, number | string>;

/** Socket deliveries against the database: each watcher must hold exactly the ids after where it started, once each, in order. */
export async function tallyDeliveries(url: string, watchers: Watchers) {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const { rows } = await db.query<{ id: string; last: string }>("select id, last_activity_id::text as last from organisations");
  await db.end();
  const newest = new Map(rows.map((row) => [row.id, BigInt(row.last)]));
  let expected = 0n;
  let arrived = 0n;
  let doubled = 0;
  let outOfOrder = 0;
  let truncated = 0;
  for (const watcher of watchers.state) {
    const from = watcher.startedAfter ?? 0n;
    const upTo = newest.get(watcher.organisationId) ?? 0n;
    expected += upTo - from;
    const unique = new Set(watcher.ids.filter((id) => id > from && id <= upTo));
    arrived += BigInt(unique.size);
    doubled += watcher.ids.length - new Set(watcher.ids).size;
    outOfOrder += watcher.ids.filter((id, i) => i > 0 && id <= (watcher.ids[i - 1] as bigint)).length;
    truncated += watcher.truncated;
  }
  return { expected: Number(expected), arrived: Number(arrived), doubled, outOfOrder, truncated };
}

/** Mail the API promised (invitations answered 201, resets answered 202) against what reached the relay, by Message-ID. */
export function tallyMail(promised: Map<string, number>, received: Array<{ to: string[]; raw: string }>) {
  let expected = 0;
  let arrived = 0;
  let doubled = 0;
  for (const [to, count] of promised) {
    const ids = received.filter((mail) => mail.to.includes(to)).map((mail) => /^Message-ID:\s*(\S+)/im.exec(mail.raw)?.[1] ?? mail.raw);
    const distinct = new Set(ids).size;
    expected += count;
    arrived += Math.min(count, distinct);
    doubled += ids.length - distinct;
  }
  return { expected, arrived, doubled };
}

/** Answers by class, inside and outside the fault windows. */
export function tallyAnswers(outcomes: Outcome[], faults: Fault[]) {
  const outside = outcomes.filter((outcome) => !inWindow(faults, outcome.at));
  return {
    requests: outcomes.length,
    serverErrorsOutside: outside.filter((outcome) => outcome.status >= 500).length,
    unreachableOutside: outside.filter((outcome) => outcome.status === 0).length,
    serverErrorsInside: outcomes.filter((outcome) => outcome.status >= 500 && inWindow(faults, outcome.at)).length,
    byRoute5xxOutside: [
      ...new Set(outside.filter((outcome) => outcome.status >= 500).map((outcome) => `${outcome.route} ${outcome.status}`)),
    ].join(", "),
  };
}
