import { randomBytes } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { recoveryCodes } from "../../db/schema/index.ts";
import { hashToken } from "../../lib/tokens.ts";

const COUNT = 10;
const ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"; // no 0/o, 1/l/i: read off paper

/** "k7m2p-x9qtr": 50 bits each, plenty for a code that works once and sits behind the credential budget. */
function newCode(): string {
  const bytes = randomBytes(10);
  const chars = [...bytes].map((byte) => ALPHABET[byte % ALPHABET.length]).join("");
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/** How a typed code is compared: case, spaces and dashes do not matter. */
const normalised = (code: string) => code.toLowerCase().replace(/[\s-]/g, "");

export function createRecoveryCodes(secret: string) {
  const hashOf = (code: string) => hashToken(secret, "recovery", normalised(code));
  return {
    /** A new set of ten for the user, voiding the old; the codes themselves are returned once and never stored. */
    async replace(tx: Tx, userId: string): Promise<string[]> {
      await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
      const codes = Array.from({ length: COUNT }, newCode);
      await tx.insert(recoveryCodes).values(codes.map((code) => ({ userId, codeHash: hashOf(code) })));
      return codes;
    },

    /** Spends `code` if it is one of the user's unused ones; true when it was. */
    async spend(tx: Tx, userId: string, code: string): Promise<boolean> {
      const spent = await tx
        .update(recoveryCodes)
        .set({ usedAt: new Date() })
        .where(and(eq(recoveryCodes.codeHash, hashOf(code)), eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)))
        .returning({ id: recoveryCodes.id });
      return spent.length === 1;
    },

    remove: (tx: Tx, userId: string) => tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)),
  };
}

export type RecoveryCodes = ReturnType<typeof createRecoveryCodes>;
