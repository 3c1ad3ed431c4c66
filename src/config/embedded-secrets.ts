import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { SECRET_KEYS, type SecretKey } from "./env.ts";

/**
 * With the embedded database the JWT secrets are generated once and kept beside it, so that
 * `docker run <image>` and `bun run dev` work with no configuration and a restart does not sign
 * everyone out. The file protects nothing less than the database next to it: whoever can read
 * one can read the other. With DATABASE_URL several instances must agree on the secrets, so
 * there they come from the environment and production refuses to start without them.
 *
 * Returns the secrets the environment does not set; an in-memory database keeps none.
 */
export function embeddedSecrets(dataDir: string, env: Record<string, string | undefined>): Partial<Record<SecretKey, string>> {
  const wanted = SECRET_KEYS.filter((key) => !env[key]);
  if (wanted.length === 0 || dataDir.startsWith("memory://")) return {};
  const file = secretsFileFor(dataDir);
  const kept = readKept(file);
  const missing = wanted.filter((key) => !kept[key]);
  if (missing.length > 0) {
    for (const key of missing) kept[key] = randomBytes(48).toString("base64url");
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600 });
  }
  return Object.fromEntries(wanted.map((key) => [key, kept[key]]));
}

/** Beside the database directory, not inside it: that one belongs to PostgreSQL. */
export function secretsFileFor(dataDir: string) {
  return join(dirname(dataDir), "jwt-secrets.json");
}

function readKept(file: string): Partial<Record<SecretKey, string>> {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
}
