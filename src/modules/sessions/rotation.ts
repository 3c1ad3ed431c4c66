import { sql } from "drizzle-orm";
import type { Config } from "../../config/env.ts";
import type { Db, Tx } from "../../db/client.ts";
import { queryRows } from "../../db/sql.ts";
import { withSystem } from "../../db/tenant.ts";
import { UnauthorizedError } from "../../lib/errors.ts";
import type { Role } from "../../lib/vocabulary.ts";
import { revokeSession } from "./revocations.ts";
import type { SessionTokens } from "./session-tokens.ts";
import type { TokenPair } from "./sessions.schemas.ts";

type Owner = { session_id: string; user_id: string; organisation_id: string; role: Role };

/** Spends `presented` if it is a live, unspent token: one statement marks it used and inserts its successor. */
const spend = (tx: Tx, tokens: SessionTokens, presented: string) =>
  queryRows<Owner>(
    tx,
    sql`
      with used as (
        update refresh_tokens as rt set used_at = now()
        from sessions as s, memberships as m
        where rt.token_hash = ${tokens.hashRefresh(presented)}
          and rt.used_at is null
          and rt.expires_at > now()
          and s.id = rt.session_id and s.revoked_at is null
          and m.organisation_id = s.organisation_id and m.user_id = s.user_id
          and not exists (select 1 from users u where u.id = s.user_id and u.disabled_at is not null)
        returning rt.session_id, s.user_id, s.organisation_id, m.role
      ), successor as (
        insert into refresh_tokens (session_id, token_hash, expires_at)
        select session_id, ${tokens.hashRefresh(tokens.successorOf(presented))}, ${tokens.refreshExpiry().toISOString()}::timestamptz from used
      ), touched as (
        update sessions set last_used_at = now() where id = (select session_id from used)
      )
      select session_id, user_id, organisation_id, role from used`,
  );

type Spent = Owner & { within_grace: boolean; live: boolean };

/** `presented` as an already spent token: whether it was spent within the grace window, and whether its session still stands. */
const alreadySpent = (tx: Tx, tokens: SessionTokens, presented: string, graceSeconds: number) =>
  queryRows<Spent>(
    tx,
    sql`
      select rt.session_id, s.user_id, s.organisation_id, m.role,
             rt.used_at > now() - make_interval(secs => ${graceSeconds}) as within_grace,
             s.revoked_at is null and m.role is not null as live
      from refresh_tokens rt
      join sessions s on s.id = rt.session_id
      left join memberships m on m.organisation_id = s.organisation_id and m.user_id = s.user_id
      where rt.token_hash = ${tokens.hashRefresh(presented)} and rt.used_at is not null`,
  );

/**
 * Refresh-token rotation (RFC 9700 §4.14.2): every refresh spends its token and mints the
 * successor; a spent token presented again means it was stolen or replayed, and its session
 * dies with every session made from it.
 *
 * Except within REFRESH_REUSE_GRACE_SECONDS of the rotation: two tabs, or a socket's re-auth
 * beside an HTTP interceptor, refresh with one token at once, and strict rotation would sign the
 * user out. Then the rotated token returns the very successor the first refresh got — the
 * successor is derived from it (session-tokens.ts), so any instance answers the same pair — and
 * revokes nothing. The price, stated in the security model: for that window a thief holding the
 * token gets the owner's pair too, instead of tripping the alarm.
 *
 * Always the database, never the session cache: minting a credential must see a revocation
 * that committed a moment ago on another instance.
 */
export function createRotation({
  db,
  config,
  tokens,
}: {
  db: Db;
  config: Pick<Config, "REFRESH_REUSE_GRACE_SECONDS">;
  tokens: SessionTokens;
}) {
  const pairFor = (owner: Owner, presented: string): TokenPair => ({
    accessToken: tokens.accessToken({ userId: owner.user_id, orgId: owner.organisation_id, role: owner.role }, owner.session_id),
    refreshToken: tokens.successorOf(presented),
  });

  return async function rotate(presented: string): Promise<TokenPair> {
    const outcome = await withSystem(db, async (tx) => {
      const [rotated] = await spend(tx, tokens, presented);
      if (rotated) return { pair: pairFor(rotated, presented) };
      const [spent] = await alreadySpent(tx, tokens, presented, config.REFRESH_REUSE_GRACE_SECONDS);
      if (!spent) return { refusal: "Invalid or expired refresh token" };
      if (spent.within_grace && spent.live) return { pair: pairFor(spent, presented) };
      if (!spent.live) return { refusal: "This session has been revoked" };
      await revokeSession(tx, spent.session_id);
      return { refusal: "Refresh token was already used; the session has been revoked" };
    });
    if (!outcome.pair) throw new UnauthorizedError(outcome.refusal ?? "Invalid or expired refresh token");
    return outcome.pair;
  };
}
