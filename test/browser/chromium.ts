import { chromium, type Browser } from "playwright-core";

/**
 * Debian's Chromium, headless. The networking flags matter: without them Chromium keeps dialling
 * Google's hosts, which this machine's closed network refuses, many at a time.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** The page talks to a real server on a 2-core machine: give it time, never a tight deadline. */
export const soon = { timeout: 15_000 };
