// One live stream of server-sent changes shared by whatever is on screen: page changes
// (GET /api/pages/events, event `page`) for the Pages list, a page and the Alerts page; incident
// changes (GET /api/incidents/events, event `incident`) for the incident list and a war room. It
// runs while someone listens and reconnects after a drop.

const retryMs = 2_000;

/**
 * `listen({ onChange(id), onLive(text) })` returns a function that stops listening. onChange
 * with no id means "something may have changed": the stream (re)connected, and changes while it
 * was down were not seen.
 */
export function createLiveStream(client, { path, event }) {
  const listeners = new Set();
  let controller;
  let live = "";

  const tell = (method, value) => {
    if (method === "onLive") live = value;
    for (const listener of listeners) listener[method]?.(value);
  };

  async function run(signal) {
    while (!signal.aborted) {
      try {
        await client.follow(
          path,
          (type, data) => {
            if (type === "ready") {
              tell("onLive", "Live");
              tell("onChange", undefined);
            } else if (type === event) tell("onChange", data.id);
          },
          signal,
        );
        if (!signal.aborted) tell("onLive", "Live updates paused (the server ended the stream); trying again…");
      } catch (error) {
        if (signal.aborted) return;
        if (error.status === 401) {
          tell("onLive", `Live updates stopped: ${error.message}`);
          return;
        }
        tell("onLive", `Live updates paused (${error.message}); trying again…`);
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }

  return {
    listen(listener) {
      listeners.add(listener);
      if (controller) listener.onLive?.(live);
      else {
        live = "";
        controller = new AbortController();
        void run(controller.signal);
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          controller?.abort();
          controller = undefined;
        }
      };
    },
    close() {
      listeners.clear();
      controller?.abort();
      controller = undefined;
    },
  };
}
