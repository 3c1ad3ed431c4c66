import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../config/env.ts";

/** Is `pid` a live process? (Signal 0 only asks.) EPERM means it exists but is someone else's. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One process per embedded data directory: PGlite opened twice on one directory corrupts it
 * (electric-sql/pglite #1106, #323). A lock file beside the data holds the owner's pid, created
 * exclusively; a second process is refused with one line naming the first, and a lock whose
 * process is gone (killed, crashed) is taken over. Returns the release.
 *
 * Written by hand: proper-lockfile and kin lock by mtime staleness, which a long-running server
 * would have to keep refreshing; a pid is exact for processes on one machine, which is the only
 * way one directory is shared.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, "..", `${dataDir.split("/").filter(Boolean).at(-1) ?? "pglite"}.lock`);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number(readFileSync(file, "utf8").trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new ConfigError(
          `the embedded database in ${dataDir} is in use by process ${holder}: stop it first, or give this one its own PGLITE_DATA_DIR (or DATABASE_URL)`,
        );
      }
      rmSync(file, { force: true }); // stale: its process is gone (or it is our own, from before a hot reload)
    }
  }
  throw new ConfigError(`could not lock the embedded database in ${dataDir} (${file})`);
}
