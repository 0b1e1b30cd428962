import type { Matcher } from "../../domain/paging/matchers.js";
import { toSilenceMatcher } from "../../domain/paging/matchers.js";
import type { AlertmanagerClient } from "../../integrations/alertmanager/client.js";
import type { MaintenanceWindow, Store } from "../../store/store.js";
import type { TimerHandler } from "../timer-loop.js";

export const windowSilenceTimer = "window.silence";
const silenceKey = (windowId: string) => `window:${windowId}:silence`;

/**
 * Maintenance windows: gameops pages nobody for alerts a window covers, and mirrors the window
 * as an Alertmanager silence so that other receivers stay quiet too. Alertmanager being down
 * does not stop a window: the silence is retried by a timer, and the window works without it.
 */
export class MaintenanceWindows {
  constructor(
    private readonly deps: {
      store: Store;
      alertmanager?: AlertmanagerClient;
      now: () => Date;
      log?: (message: string, fields: Record<string, unknown>) => void;
    },
  ) {}

  async start(input: { title: string; matchers: Matcher[]; startsAt?: Date; endsAt: Date; by: string }): Promise<MaintenanceWindow> {
    const { store } = this.deps;
    const window = await store.windows.create({
      title: input.title,
      matchers: input.matchers.map(toSilenceMatcher),
      startsAt: input.startsAt ?? this.deps.now(),
      endsAt: input.endsAt,
      createdBy: input.by,
    });
    await store.audit.append({ actor: input.by, action: "window.start", subject: `window:${window.id}`, details: { title: window.title, matchers: window.matchers, endsAt: window.endsAt } });
    return (await this.mirror(window)) ?? window;
  }

  async end(id: string, by: string): Promise<MaintenanceWindow | undefined> {
    const { store } = this.deps;
    const ended = await store.windows.end(id, { by, at: this.deps.now() });
    if (!ended) return undefined;
    await store.timers.cancel(silenceKey(id));
    await store.audit.append({ actor: by, action: "window.end", subject: `window:${id}`, details: {} });
    if (ended.silenceId && this.deps.alertmanager) {
      try {
        await this.deps.alertmanager.expireSilence(ended.silenceId);
      } catch (error) {
        // Alertmanager ends it at endsAt anyway; say so rather than fail the end of the window.
        const message = `could not expire Alertmanager silence ${ended.silenceId}: ${(error as Error).message}; it ends by itself at ${ended.endsAt}`;
        await store.windows.recordSilence(id, { silenceId: ended.silenceId, error: message });
        return { ...ended, silenceError: message };
      }
    }
    return ended;
  }

  readonly handler: TimerHandler = async (timer) => {
    const window = await this.deps.store.windows.get(String(timer.payload.windowId));
    if (!window || window.endedAt || window.silenceId || Date.parse(window.endsAt) <= this.deps.now().getTime()) return;
    // A failure reschedules this timer itself.
    await this.mirror(window);
  };

  private async mirror(window: MaintenanceWindow): Promise<MaintenanceWindow | undefined> {
    const { store, alertmanager } = this.deps;
    if (!alertmanager) return undefined;
    try {
      const silenceId = await alertmanager.createSilence({
        matchers: window.matchers,
        startsAt: new Date(window.startsAt),
        endsAt: new Date(window.endsAt),
        createdBy: `gameops:${window.createdBy}`,
        comment: `gameops maintenance window ${window.id}: ${window.title}`,
      });
      await store.windows.recordSilence(window.id, { silenceId });
      return { ...window, silenceId };
    } catch (error) {
      const message = `could not create the Alertmanager silence: ${(error as Error).message}; gameops still pages nobody for these alerts, and retries`;
      await store.windows.recordSilence(window.id, { error: message });
      await store.timers.schedule({ kind: windowSilenceTimer, key: silenceKey(window.id), dueAt: new Date(this.deps.now().getTime() + 30_000), payload: { windowId: window.id } });
      this.deps.log?.(message, { window: window.id });
      return { ...window, silenceError: message };
    }
  }
}
