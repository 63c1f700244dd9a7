import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { realClockEnv } from "../../../bench/real-clock.js";

/** Debian's Chromium (`.ci/run` installs it). */
export const CHROMIUM = "/usr/bin/chromium";

/** Headless Chromium with a fresh profile (its own user data dir) and nothing that reaches the network on its own. */
async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), "twofold-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    env: realClockEnv(),
    viewport: { width: 1200, height: 900 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * For a describe block: headless Chromium for its tests (launched before,
 * closed after), and a function opening the report `file()` names in a new page.
 */
export function renderedReport(file: () => string): () => Promise<Page> {
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  return async () => {
    if (browser === undefined) throw new Error("Chromium did not start");
    const page = await browser.context.newPage();
    await page.goto(`file://${file()}`);
    return page;
  };
}
