import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { asc, eq } from "drizzle-orm";
import type { Config } from "../../config/env.ts";
import type { Db, Tx } from "../../db/client.ts";
import { memberships, organisations, users } from "../../db/schema/index.ts";
import { sameEmail } from "../../db/sql.ts";
import { withSystem } from "../../db/tenant.ts";
import type { AttemptLimiter } from "../../lib/attempts.ts";
import type { AccountContext, ClientOrigin } from "../../lib/auth-context.ts";
import { ConflictError, ForbiddenError, UnauthorizedError } from "../../lib/errors.ts";
import type { PasswordHasher } from "../../lib/passwords.ts";
import type { SecondStep } from "../../lib/schemas.ts";
import type { Factors } from "../factors/index.ts";
import { createOutbox } from "../mail/index.ts";
import { foundOrganisation, organisationSummaryColumns } from "../organisations/index.ts";
import type { LogoutScope, Proof, SessionGuard, SessionInfo, SessionService, TokenPair } from "../sessions/index.ts";
import type { AuthResult, LoginInput, LoginResult, Me, RegisterInput } from "./auth.schemas.ts";
import { createAuthentication } from "./authentication.ts";

type Deps = {
  db: Db;
  config: Config;
  passwords: PasswordHasher;
  attempts: AttemptLimiter;
  guard: SessionGuard;
  sessions: SessionService;
  factors: Pick<Factors, "secondSteps" | "passkeys">;
};

const INVALID_CREDENTIALS = "Invalid email or password";

/** Every membership of a user, oldest first, with what a token response shows of each organisation. */
const membershipsOf = (tx: Tx, userId: string) =>
  tx
    .select({ role: memberships.role, organisation: organisationSummaryColumns })
    .from(memberships)
    .innerJoin(organisations, eq(organisations.id, memberships.organisationId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(memberships.createdAt), asc(memberships.organisationId));

export function createAuthService({ db, config, passwords, attempts, guard, sessions, factors }: Deps) {
  const authentication = createAuthentication({ config, guard });
  const outbox = createOutbox(config.JWT_REFRESH_SECRET);

  /**
   * Opens a session for a user who proved themselves (`proof`), in the organisation asked for
   * (or their oldest membership, or none), and answers what a login answers.
   */
  const signIn = (userId: string, organisationId: string | null | undefined, proof: Proof, origin: ClientOrigin): Promise<LoginResult> =>
    withSystem(db, async (tx) => {
      const [user] = await tx.select({ id: users.id, name: users.name, email: users.email }).from(users).where(eq(users.id, userId));
      if (!user) throw new UnauthorizedError("This account no longer exists");
      const all = await membershipsOf(tx, userId);
      const membership = organisationId ? all.find((candidate) => candidate.organisation.id === organisationId) : all[0];
      // Checked before the proof for a login (a 403); missing now, it ended while the sign-in was in flight.
      if (organisationId && !membership) throw new UnauthorizedError("You are not (or no longer) a member of this organisation");
      const role = membership?.role ?? null;
      const tokens = await sessions.start(tx, { userId, orgId: membership?.organisation.id ?? null, role }, origin, proof);
      return { ...tokens, user: { ...user, role }, organisation: membership?.organisation ?? null };
    });

  return {
    /** A new organisation with its first member, an ADMIN, signed in; a link to verify the email goes out. */
    async register(input: RegisterInput, origin: ClientOrigin): Promise<AuthResult> {
      const passwordHash = await passwords.hash(input.password);
      return withSystem(db, async (tx) => {
        const [user] = await tx
          .insert(users)
          .values({ name: input.name, email: input.email, passwordHash })
          .onConflictDoNothing()
          .returning({ id: users.id, name: users.name, email: users.email });
        if (!user) throw new ConflictError("An account with this email already exists");

        const organisation = await foundOrganisation(tx, input.organisationName, user.id);
        await outbox.queueRequest(tx, "email_verification", user.email);
        const tokens = await sessions.start(tx, { userId: user.id, orgId: organisation.id, role: "ADMIN" }, origin, {
          kind: "new-account",
        });
        return { ...tokens, user: { ...user, role: "ADMIN" }, organisation };
      });
    },

    /**
     * Unknown email and wrong password take the same path and the same time: both spend one
     * bcrypt verification, count against the email's failed-attempt budget and answer with
     * the same 401. An account that belongs to no organisation (its last one was deleted)
     * signs in to a session of no organisation: enough to create one, accept an invitation,
     * or close the account — never stranded.
     */
    async login(input: LoginInput, origin: ClientOrigin): Promise<LoginResult | SecondStep> {
      const account = await withSystem(db, async (tx) => {
        const [user] = await tx
          .select({ id: users.id, name: users.name, email: users.email, passwordHash: users.passwordHash })
          .from(users)
          .where(sameEmail(users.email, input.email));
        return user ? { user, memberships: await membershipsOf(tx, user.id) } : null;
      });
      const valid = await attempts.check(input.email, () =>
        account ? passwords.verify(input.password, account.user.passwordHash) : passwords.verifyNobody(input.password),
      );
      if (!account || !valid) throw new UnauthorizedError(INVALID_CREDENTIALS, "INVALID_CREDENTIALS");

      const membership = input.organisationId
        ? account.memberships.find((candidate) => candidate.organisation.id === input.organisationId)
        : account.memberships[0];
      if (input.organisationId && !membership) throw new ForbiddenError("You are not a member of this organisation");

      // A second factor: no tokens yet, only the step that leads to them (after the same password check, so a wrong
      // password answers exactly as it does for an account without one).
      const { id, passwordHash } = account.user;
      const secondStep = await withSystem(db, (tx) =>
        factors.secondSteps.demand(tx, { userId: id, organisationId: membership?.organisation.id ?? null, passwordHash }),
      );
      if (secondStep) return secondStep;
      return signIn(id, membership?.organisation.id ?? null, { kind: "password", passwordHash }, origin);
    },

    /** The second step of a login: a code or a recovery code for its mfaToken, and then the usual login data. */
    async verifySecondStep(input: { mfaToken: string; code?: string; recoveryCode?: string }, origin: ClientOrigin): Promise<LoginResult> {
      const { mfaToken, ...answer } = input;
      const passed = await factors.secondSteps.pass(mfaToken, answer);
      return signIn(passed.userId, passed.organisationId, passed.proof, origin);
    },

    /** Signs in with a passkey alone: it is phishing-resistant, so it is the second factor too. */
    async loginWithPasskey(
      response: AuthenticationResponseJSON,
      organisationId: string | undefined,
      origin: ClientOrigin,
    ): Promise<LoginResult> {
      const { userId, passkeyId } = await factors.passkeys.authenticate(response);
      return signIn(userId, organisationId, { kind: "passkey", passkeyId }, origin);
    },

    refresh: (refreshToken: string): Promise<TokenPair> => sessions.rotate(refreshToken),

    logout: (auth: AccountContext, { refreshToken, scope }: { refreshToken: string; scope: LogoutScope }): Promise<void> =>
      sessions.logout(auth.userId, refreshToken, scope),

    /** The caller's live sessions, the current one marked. */
    listSessions: (auth: AccountContext): Promise<SessionInfo[]> => sessions.list(auth.userId, auth.sessionId),

    /** Ends one of the caller's sessions (another user's is a 404). */
    endSession: (auth: AccountContext, sessionId: string): Promise<void> => sessions.end(auth.userId, sessionId),

    /** The caller, the organisation of this session (null: none), every organisation they belong to, and whether their email is verified. */
    async me(auth: AccountContext): Promise<Me> {
      const { all, verifiedAt } = await withSystem(db, async (tx) => {
        const [user] = await tx.select({ verifiedAt: users.emailVerifiedAt }).from(users).where(eq(users.id, auth.userId));
        return { all: await membershipsOf(tx, auth.userId), verifiedAt: user?.verifiedAt ?? null };
      });
      const current = auth.orgId === null ? undefined : all.find((membership) => membership.organisation.id === auth.orgId);
      if (auth.orgId !== null && !current) throw new UnauthorizedError("Your membership of this organisation has ended");
      return {
        user: { id: auth.userId, name: auth.name, email: auth.email, role: auth.role },
        organisation: current?.organisation ?? null,
        role: auth.role,
        emailVerified: verifiedAt !== null,
        memberships: all.map(({ organisation, role }) => ({ organisationId: organisation.id, name: organisation.name, role })),
      };
    },

    /**
     * A new session in another organisation the caller belongs to: a descendant of the caller's
     * session, checked alive in the database (never the cache), so it dies whenever its parent
     * is revoked as a credential. Switching to the organisation already signed in to is a 409.
     */
    async switchOrganisation(auth: AccountContext, organisationId: string, origin: ClientOrigin): Promise<AuthResult> {
      if (organisationId === auth.orgId) throw new ConflictError("You are already signed in to this organisation");
      return withSystem(db, async (tx) => {
        const target = (await membershipsOf(tx, auth.userId)).find((m) => m.organisation.id === organisationId);
        if (!target) throw new ForbiddenError("You are not a member of this organisation");
        const owner = { userId: auth.userId, orgId: organisationId, role: target.role };
        const tokens = await sessions.start(tx, owner, origin, { kind: "session", sessionId: auth.sessionId });
        return {
          ...tokens,
          user: { id: auth.userId, name: auth.name, email: auth.email, role: target.role },
          organisation: target.organisation,
        };
      });
    },

    ...authentication,
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
