// Activity ids are per-organisation counters (see db/schema/activities.ts), bigint in PostgreSQL.

const MAX_ACTIVITY_ID = 2n ** 63n - 1n; // PostgreSQL bigint

/** An activity id from outside (a cursor, `since`): digits within bigint range, or null. */
export function parseActivityId(value: string): bigint | null {
  if (!/^\d{1,19}$/.test(value)) return null;
  const id = BigInt(value);
  return id <= MAX_ACTIVITY_ID ? id : null;
}
