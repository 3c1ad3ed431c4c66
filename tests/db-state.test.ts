// The "nothing changed" check every refusal test leans on must itself see every kind of change.
import { expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { organisations, users } from "../src/db/schema/index.ts";
import { inDatabase, snapshotDatabase } from "./support/db-state.ts";
import { registerOrg } from "./support/fixtures.ts";
import { useTestServer } from "./support/server.ts";

const { api } = useTestServer();

test("a snapshot changes with an insert, an update, and a delete — and not without one", async () => {
  const admin = await registerOrg(api);
  const other = await registerOrg(api);
  const quiet = await snapshotDatabase();
  expect(await snapshotDatabase()).toEqual(quiet);

  await inDatabase((tx) =>
    tx.update(organisations).set({ name: "Renamed behind the API's back" }).where(eq(organisations.id, admin.organisation.id)),
  );
  const updated = await snapshotDatabase();
  expect(updated.organisations).not.toBe(quiet.organisations);

  await inDatabase((tx) => tx.delete(users).where(eq(users.id, other.user.id)));
  const deleted = await snapshotDatabase();
  expect(deleted.users).not.toBe(updated.users);

  await registerOrg(api);
  expect((await snapshotDatabase()).users).not.toBe(deleted.users);
});
