// `bun run mail:requeue [--all | <outbox id>…]`: mail set aside after MAIL_RETRY_FOR of refusals
// (metric outbox_set_aside) is queued again, its retry clock started over. Run it once the relay
// works again; the instances' senders pick it up at once. Uses DATABASE_URL, like the server.
import { ConfigError, loadConfig } from "../src/config/env.ts";
import { createDatabase } from "../src/db/client.ts";
import { createLogger } from "../src/lib/logger.ts";
import { requeueSetAside } from "../src/modules/mail/index.ts";

const args = process.argv.slice(2);
if (args.length === 0 || args.includes("--help")) {
  console.log("usage: bun run mail:requeue --all | <outbox id>…   (queues set-aside mail again)");
  process.exit(args.length === 0 ? 1 : 0);
}
try {
  const { config } = loadConfig(process.env);
  const database = await createDatabase(config, createLogger("warn"));
  try {
    const count = await requeueSetAside(database.db, args.includes("--all") ? undefined : args);
    console.log(`${count} mail${count === 1 ? "" : "s"} queued again`);
  } finally {
    await database.close();
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
