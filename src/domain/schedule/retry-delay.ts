export interface RetryPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { firstDelayMs: 10_000, maxDelayMs: 15 * 60_000 };

/**
 * How long to wait before the next attempt after `attempts` failed ones: doubling from the first
 * delay, capped, so a timer whose target is down is tried again for as long as it stays pending
 * without hammering it.
 */
export function retryDelayMs(attempts: number, policy: RetryPolicy = defaultRetryPolicy): number {
  const doublings = Math.max(0, attempts - 1);
  // 2^30 already exceeds any sane cap; stop before the number does something silly.
  return Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(doublings, 30));
}
