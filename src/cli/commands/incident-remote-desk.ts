import type { ResponseMetrics } from "../../domain/incidents/response-metrics.js";
import type { OnCallNow } from "../../engine/paging/paging.js";
import type { WarRoom } from "../../engine/incidents/incident-service.js";
import type { ActionItem, IncidentRecord, IncidentTask, PageRecord, Person } from "../../store/store.js";
import type { RemoteApi } from "../remote.js";
import type { IncidentDesk, SeverityView } from "./incident-desk.js";

/** What the action routes answer: the incident after it, and what else the action made. */
type Answer<Extra> = { incident: IncidentRecord } & Extra;

/** The incident commands through a server: its API, acting as the person of GAMEOPS_TOKEN. */
export function remoteDesk(api: RemoteApi): IncidentDesk {
  const path = (ref: string, rest = "") => `/api/incidents/${encodeURIComponent(ref)}${rest}`;
  const act = <Extra = object>(ref: string, rest: string, body?: unknown) => api.request<Answer<Extra>>("POST", path(ref, rest), body);
  const warRoom = (ref: string) => api.request<WarRoom>("GET", path(ref));

  return {
    consoleUrl: api.baseUrl,
    server: api.baseUrl,
    zone: async () => (await api.request<{ team: { timeZone: string } }>("GET", "/api/me")).team.timeZone,
    severities: async () => (await api.request<{ severities: SeverityView[] }>("GET", "/api/severities")).severities,
    directory: async () => ({
      people: (await api.request<{ people: Person[] }>("GET", "/api/people")).people,
      onCall: (await api.request<{ schedules: OnCallNow[] }>("GET", "/api/oncall/now")).schedules,
    }),
    declare: (input) => api.request<{ incident: IncidentRecord; page?: PageRecord }>("POST", "/api/incidents", input),
    list: async (query) => {
      const params = new URLSearchParams({ limit: String(query.limit) });
      if (query.status?.length) params.set("status", query.status.join(","));
      if (query.severity?.length) params.set("severity", query.severity.join(","));
      return (await api.request<{ incidents: IncidentRecord[] }>("GET", `/api/incidents?${params}`)).incidents;
    },
    get: async (ref) => (await warRoom(ref)).incident,
    warRoom,
    acknowledge: async (ref) => (await act(ref, "/acknowledge")).incident,
    moveTo: async (ref, status) => (await act(ref, "/status", { status })).incident,
    setSeverity: async (ref, severity) => (await act(ref, "/severity", { severity })).incident,
    assignRole: async (ref, role, person) => {
      const { incident, previous } = await act<{ previous?: string }>(ref, "/roles", { role, person });
      return { incident, ...(previous ? { previous } : {}) };
    },
    note: async (ref, text) => {
      await act(ref, "/notes", { text });
    },
    postUpdate: async (ref, text, customerNotice) => {
      const { incident, customerNotice: notice } = await act<{ customerNotice?: string }>(ref, "/updates", { text, customerNotice });
      return { incident, ...(notice ? { customerNotice: notice } : {}) };
    },
    setTask: (ref, task, done) => api.request<IncidentTask>("POST", path(ref, `/tasks/${encodeURIComponent(task)}`), { done }),
    requestPeople: async (ref, schedule) => (await act<{ page: number }>(ref, "/request-people", { schedule })).page,
    addActionItem: async (ref, item) => (await act<{ actionItem: ActionItem }>(ref, "/action-items", item)).actionItem,
    completeActionItem: (id) => api.request<ActionItem>("POST", `/api/action-items/${encodeURIComponent(id)}/done`),
    postmortem: (ref) => api.request<{ markdown: string; draft: boolean }>("GET", path(ref, "/postmortem")),
    savePostmortem: async (ref, markdown) => (await api.request<Answer<object>>("POST", path(ref, "/postmortem"), { markdown })).incident,
    metrics: async (months) => (await api.request<{ metrics: ResponseMetrics[] }>("GET", `/api/incidents/metrics?months=${months}`)).metrics,
  };
}
