import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { isoBase64URL, isoUint8Array } from "@simplewebauthn/server/helpers";
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { passkeys } from "../../db/schema/index.ts";
import { withSystem } from "../../db/tenant.ts";
import type { AccountContext } from "../../lib/auth-context.ts";
import { BadRequestError, NotFoundError, UnauthorizedError } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import type { Challenges } from "./challenges.ts";
import type { RelyingParty } from "./relying-party.ts";
import { secondFactorsChanged } from "./standing.ts";

export type PasskeyView = { id: string; name: string; createdAt: string; lastUsedAt: string | null; flagged: boolean };

const viewOf = (row: typeof passkeys.$inferSelect): PasskeyView => ({
  id: row.id,
  name: row.name,
  createdAt: row.createdAt.toISOString(),
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  flagged: row.flaggedAt !== null,
});

const REFUSED = "The passkey could not be verified";

type Deps = { db: Db; challenges: Challenges; relyingParty: RelyingParty; logger: Logger };

/**
 * Passkeys through @simplewebauthn/server: registration by a signed-in account, sign-in with a
 * passkey alone (discoverable credentials: the options name no account, so they never tell
 * whether an email has one). Each challenge is single-use and lives five minutes, spent at the
 * moment the library checks it. The signature counter is compared here, after the signature has
 * verified: a counter that does not move forward means a cloned authenticator, and the passkey
 * is flagged and refused from then on (compared before verifying, a forged response could flag
 * someone else's passkey).
 */
export function createPasskeyService({ db, challenges, relyingParty, logger }: Deps) {
  const mine = (account: AccountContext, id: string) => and(eq(passkeys.id, id), eq(passkeys.userId, account.userId));

  return {
    async registrationOptions(account: AccountContext): Promise<PublicKeyCredentialCreationOptionsJSON> {
      return withSystem(db, async (tx) => {
        const existing = await tx.select().from(passkeys).where(eq(passkeys.userId, account.userId));
        const options = await generateRegistrationOptions({
          rpName: relyingParty.name,
          rpID: relyingParty.id(),
          userName: account.email,
          userDisplayName: account.name,
          userID: isoUint8Array.fromUTF8String(account.userId),
          attestationType: "none",
          excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
          authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
        });
        await challenges.issueCeremony(tx, "passkey_registration", options.challenge, account.userId);
        return options;
      });
    },

    async register(account: AccountContext, response: RegistrationResponseJSON, name: string | undefined): Promise<PasskeyView> {
      return withSystem(db, async (tx) => {
        const verification = await verifyRegistrationResponse({
          response,
          expectedChallenge: (challenge) => challenges.spendCeremony(tx, "passkey_registration", challenge, account.userId),
          expectedOrigin: relyingParty.origins(),
          expectedRPID: relyingParty.id(),
          requireUserVerification: false,
        }).catch((error: unknown) => {
          throw new BadRequestError(`${REFUSED}: ${error instanceof Error ? error.message : "invalid response"}`);
        });
        if (!verification.verified) throw new BadRequestError(REFUSED);
        const { credential, credentialBackedUp } = verification.registrationInfo;
        const [stored] = await tx
          .insert(passkeys)
          .values({
            userId: account.userId,
            credentialId: credential.id,
            publicKey: isoBase64URL.fromBuffer(credential.publicKey),
            counter: credential.counter,
            transports: credential.transports ?? [],
            backedUp: credentialBackedUp,
            name: name ?? "Passkey",
          })
          .onConflictDoNothing()
          .returning();
        if (!stored) throw new BadRequestError("This passkey is already registered");
        await secondFactorsChanged(tx, account.userId);
        return viewOf(stored);
      });
    },

    async authenticationOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
      const options = await generateAuthenticationOptions({ rpID: relyingParty.id(), userVerification: "preferred", allowCredentials: [] });
      await withSystem(db, (tx) => challenges.issueCeremony(tx, "passkey_login", options.challenge, null));
      return options;
    },

    /** The account and passkey a sign-in response proves, its counter and last use recorded; 401 otherwise. */
    async authenticate(response: AuthenticationResponseJSON): Promise<{ userId: string; passkeyId: string }> {
      type Outcome = { refused: string } | { userId: string; passkeyId: string };
      const outcome = await withSystem(db, async (tx): Promise<Outcome> => {
        const [passkey] = await tx.select().from(passkeys).where(eq(passkeys.credentialId, response.id)).for("update");
        if (!passkey) return { refused: "This passkey is not registered here" };
        if (passkey.flaggedAt)
          return { refused: "This passkey was flagged as cloned and can no longer sign in; remove it and register a new one" };
        const verification = await verifyAuthenticationResponse({
          response,
          expectedChallenge: (challenge) => challenges.spendCeremony(tx, "passkey_login", challenge, null),
          expectedOrigin: relyingParty.origins(),
          expectedRPID: relyingParty.id(),
          // The counter is compared below, once the signature is known to be the authenticator's.
          credential: {
            id: passkey.credentialId,
            publicKey: isoBase64URL.toBuffer(passkey.publicKey),
            counter: 0,
            transports: passkey.transports,
          },
          requireUserVerification: false,
        }).catch((error: unknown) => ({ verified: false as const, error }));
        if (!verification.verified) return { refused: REFUSED };
        const { newCounter } = verification.authenticationInfo;
        if ((newCounter > 0 || passkey.counter > 0) && newCounter <= passkey.counter) {
          await tx.update(passkeys).set({ flaggedAt: new Date() }).where(eq(passkeys.id, passkey.id));
          await secondFactorsChanged(tx, passkey.userId);
          logger.warn("passkey flagged: its signature counter went backwards (a cloned authenticator?)", {
            passkeyId: passkey.id,
            stored: passkey.counter,
            presented: newCounter,
          });
          return { refused: "This passkey's counter went backwards, as a cloned authenticator's does: it is flagged and refused" };
        }
        await tx.update(passkeys).set({ counter: newCounter, lastUsedAt: new Date() }).where(eq(passkeys.id, passkey.id));
        return { userId: passkey.userId, passkeyId: passkey.id };
      });
      // Refusals commit what they recorded (a spent challenge, a flag) and then answer 401.
      if ("refused" in outcome) throw new UnauthorizedError(outcome.refused, "INVALID_CREDENTIALS");
      return outcome;
    },

    list: (account: AccountContext): Promise<PasskeyView[]> =>
      withSystem(db, async (tx) =>
        (await tx.select().from(passkeys).where(eq(passkeys.userId, account.userId)).orderBy(asc(passkeys.createdAt))).map(viewOf),
      ),

    async rename(account: AccountContext, id: string, name: string): Promise<PasskeyView> {
      const [renamed] = await withSystem(db, (tx) => tx.update(passkeys).set({ name }).where(mine(account, id)).returning());
      if (!renamed) throw new NotFoundError("Passkey not found");
      return viewOf(renamed);
    },

    async remove(account: AccountContext, id: string): Promise<void> {
      await withSystem(db, async (tx) => {
        const removed = await tx.delete(passkeys).where(mine(account, id)).returning({ id: passkeys.id });
        if (removed.length === 0) throw new NotFoundError("Passkey not found");
        await secondFactorsChanged(tx, account.userId);
      });
    },
  };
}

export type PasskeyService = ReturnType<typeof createPasskeyService>;
