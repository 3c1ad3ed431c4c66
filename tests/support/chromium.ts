import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

/** Debian's Chromium (apt-get install chromium; .ci/run installs it). playwright-core downloads no browser of its own. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

// Headless, and quiet: without the background-networking flags Chromium calls Google's hosts
// at start, which a closed network refuses (and which would count as leaving the machine).
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Whether the browser tests can run here; when not, says so once, naming `what` skipped. */
export function chromiumAvailable(what: string): boolean {
  const installed = existsSync(CHROMIUM);
  if (!installed) console.log(`skipped: ${what} needs Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);
  return installed;
}

export const launchChromium = () => chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
