// Debian's chromium, driven headless through playwright-core, in a fresh profile.
// Screenshots go to conformance-tests/results/screenshots/ as the run's artifacts.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
export const SCREENSHOTS = resolve(import.meta.dirname, "../../results/screenshots");

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Launches chromium with a new profile directory; resolves `{ context, close }`. */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), "dataverse-emulator-chromium-"));
  // launchPersistentContext is how Playwright passes --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

/** Saves a full-page screenshot as `<name>.png` among the artifacts. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}
