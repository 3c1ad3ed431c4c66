// `bun run admin:grant <email> [--revoke]`: makes an existing account a platform operator (the
// /api/admin routes), or an ordinary user again. Never possible through the API: whoever runs
// this already holds the database's credentials (DATABASE_URL, like the server). The operator
// then signs in with a second factor (TOTP or a passkey) to use those routes.
import { ConfigError, loadConfig } from "../src/config/env.ts";
import { createDatabase } from "../src/db/client.ts";
import { runMigrations } from "../src/db/migrate.ts";
import { DomainError } from "../src/lib/errors.ts";
import { createLogger } from "../src/lib/logger.ts";
import { grantPlatformRole } from "../src/modules/admin/index.ts";

const args = process.argv.slice(2);
const email = args.find((arg) => !arg.startsWith("--"));
if (!email || args.includes("--help")) {
  console.log("usage: bun run admin:grant <email> [--revoke]   (the account must exist)");
  process.exit(email ? 0 : 1);
}
try {
  const { config } = loadConfig(process.env);
  const logger = createLogger("warn");
  const database = await createDatabase(config, logger);
  try {
    await runMigrations(database, logger);
    const revoke = args.includes("--revoke");
    const { changed } = await grantPlatformRole(database.handle(), email, { revoke });
    console.log(`${email} ${changed ? "is now" : "was already"} ${revoke ? "an ordinary user" : "a platform operator"}`);
  } finally {
    await database.close();
  }
} catch (error) {
  console.error(error instanceof ConfigError || error instanceof DomainError ? error.message : error);
  process.exit(1);
}
