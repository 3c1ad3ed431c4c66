// Database reads driven from this process: N concurrent readers over the regular organisations,
// for the figures that compare two paths to the same rows (rls).
import type { AuthContext } from "../../src/lib/auth-context.ts";
import type { Org } from "./dataset.ts";

const READERS = 50;

/** Reads a second by `READERS` readers looping over `orgs` for `seconds`. */
export async function readsPerSecond(read: (org: Org) => Promise<unknown>, orgs: Org[], seconds: number): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let reads = 0;
  await Promise.all(
    Array.from({ length: READERS }, async (_, reader) => {
      for (let i = reader; performance.now() < deadline; i++) {
        await read(orgs[i % orgs.length] as Org);
        reads++;
      }
    }),
  );
  return reads / seconds;
}

/** A member of `org` as the services see one (only the organisation and role matter to a feed read). */
export const memberOf = (org: Org): AuthContext => ({
  userId: org.members[0]?.userId as string,
  orgId: org.id,
  role: "MEMBER",
  sessionId: "",
  expiresAt: 0,
  name: "",
  email: "",
});
