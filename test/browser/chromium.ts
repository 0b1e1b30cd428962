import { chromium, type Browser, type Page } from "playwright-core";

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

/** Signs in to the console with an API token, as a person pastes it. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Collects script errors and CSP refusals (an inline style, say) into `problems`; the API's 4xx answers on purpose are not problems. */
export function watchForProblems(page: Page, problems: string[]): void {
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" && !/status of 4\d\d/.test(message.text())) problems.push(message.text());
  });
}
