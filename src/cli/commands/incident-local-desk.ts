import type { Config } from "../../config/load.js";
import { severityViews } from "../../domain/incidents/severity.js";
import { IncidentService } from "../../engine/incidents/incident-service.js";
import { withLocalPaging } from "../local-paging.js";
import { serverUrl } from "../server-address.js";
import type { IncidentDesk } from "./incident-desk.js";

/**
 * The incident commands on this data dir: the same `IncidentService` the server runs, on the
 * local Paging. Its timers (the page's escalation, the clocks, war-room posts) are rows the
 * server's timer loop fires; without a server they wait for `gameops up`.
 */
export async function withLocalDesk(config: Config, work: (desk: IncidentDesk) => Promise<number>): Promise<number> {
  return withLocalPaging(config, async ({ paging, store, actor, server }) => {
    const consoleUrl = config.paging.publicUrl ?? serverUrl(config);
    const incidents = new IncidentService({ store, config, paging, publicUrl: () => consoleUrl });
    // Asked only when acting: a GAMEOPS_PERSON naming nobody must not stop a read.
    const by = actor;
    const through = "cli";
    const desk: IncidentDesk = {
      consoleUrl,
      server,
      zone: async () => config.team.timeZone,
      severities: async () => severityViews(config.incidents),
      directory: async () => ({ people: await store.people.listPeople(), onCall: await paging.onCallNow(new Date()) }),
      declare: async (input) => incidents.declare({ ...input, by: await by(), source: through }),
      list: (query) => store.incidents.list(query),
      get: (ref) => incidents.get(ref),
      warRoom: (ref) => incidents.warRoom(ref),
      acknowledge: async (ref) => incidents.acknowledge(ref, await by(), through),
      moveTo: async (ref, status) => incidents.moveTo(ref, status, await by()),
      setSeverity: async (ref, severity) => incidents.setSeverity(ref, severity, await by()),
      assignRole: async (ref, role, person) => incidents.assignRole(ref, role, person, await by()),
      note: async (ref, text) => incidents.note(ref, text, await by()),
      postUpdate: async (ref, text, customerNotice) => incidents.postUpdate(ref, { text, by: await by(), customerNotice }),
      setTask: async (ref, taskId, done) => incidents.setTask(ref, taskId, { done, by: await by() }),
      requestPeople: async (ref, schedule) => (await incidents.requestPeople(ref, schedule, await by())).number,
      addActionItem: async (ref, item) => incidents.addActionItem(ref, { ...item, by: await by() }),
      completeActionItem: async (id) => incidents.completeActionItem(id, await by()),
      postmortem: async (ref) => {
        const { markdown, draft } = await incidents.postmortem(ref);
        return { markdown, draft };
      },
      savePostmortem: async (ref, markdown) => incidents.savePostmortem(ref, markdown, await by()),
      // The window the API counts: the last `months` × 31 days.
      metrics: async (months) => {
        const to = new Date();
        return incidents.metrics({ from: new Date(to.getTime() - months * 31 * 86_400_000), to });
      },
    };
    return work(desk);
  });
}
