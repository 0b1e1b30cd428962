import { z } from "zod";
import { isTimeZone } from "../../domain/time-zone.js";
import type { Person, Team } from "../../store/store.js";
import { localActor, printJson, targetFor, withLocalStore, type GlobalOptions } from "../session.js";
import { renderTable } from "../table.js";
import { UsageError } from "../usage-error.js";

const slug = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "must be lower-case letters, digits, '.', '_' or '-', like mina or sre-team");

function checkId(kind: string, id: string): string {
  const parsed = slug.safeParse(id);
  if (!parsed.success) throw new UsageError(`${kind} id "${id}" ${parsed.error.issues[0]!.message}`);
  return id;
}

export async function addPerson(
  global: GlobalOptions,
  id: string,
  options: { name: string; email?: string; chat?: string; timeZone?: string; team?: string; title?: string[] },
): Promise<number> {
  const person: Person = {
    id: checkId("person", id),
    name: options.name,
    titles: options.title ?? [],
    ...(options.email ? { email: options.email } : {}),
    ...(options.chat ? { chatHandle: options.chat } : {}),
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
    ...(options.team ? { teamId: options.team } : {}),
  };
  if (options.email && !z.email().safeParse(options.email).success) throw new UsageError(`--email "${options.email}" is not an e-mail address`);
  if (options.timeZone && !isTimeZone(options.timeZone)) throw new UsageError(`--time-zone "${options.timeZone}" is not an IANA time zone like Asia/Seoul`);
  const target = targetFor(global);
  if (target.kind === "remote") await target.api.request("POST", "/api/people", person);
  else
    await withLocalStore(target.config, async (store) => {
      if (person.teamId && !(await store.people.listTeams()).some((t) => t.id === person.teamId)) {
        throw new UsageError(`--team "${person.teamId}" does not exist; add it with \`gameops team add ${person.teamId} --name …\``);
      }
      await store.people.upsertPerson(person);
      await store.audit.append({ actor: localActor(), action: "person.upsert", subject: `person:${person.id}`, details: { ...person } });
    });
  process.stdout.write(`person ${person.id} saved\n`);
  return 0;
}

export async function listPeople(global: GlobalOptions, options: { json?: boolean }): Promise<number> {
  const target = targetFor(global);
  const people =
    target.kind === "remote" ? (await target.api.request<{ people: Person[] }>("GET", "/api/people")).people : await withLocalStore(target.config, (s) => s.people.listPeople());
  if (options.json) printJson(people);
  else
    process.stdout.write(
      `${renderTable(
        ["ID", "NAME", "TEAM", "TITLES", "EMAIL", "CHAT", "TIME ZONE"],
        people.map((p) => [p.id, p.name, p.teamId ?? "-", p.titles.join(",") || "-", p.email ?? "-", p.chatHandle ?? "-", p.timeZone ?? "-"]),
      )}\n`,
    );
  return 0;
}

export async function addTeam(global: GlobalOptions, id: string, options: { name: string }): Promise<number> {
  const team: Team = { id: checkId("team", id), name: options.name };
  const target = targetFor(global);
  if (target.kind === "remote") await target.api.request("POST", "/api/teams", team);
  else
    await withLocalStore(target.config, async (store) => {
      await store.people.upsertTeam(team);
      await store.audit.append({ actor: localActor(), action: "team.upsert", subject: `team:${team.id}`, details: { ...team } });
    });
  process.stdout.write(`team ${team.id} saved\n`);
  return 0;
}

export async function listTeams(global: GlobalOptions, options: { json?: boolean }): Promise<number> {
  const target = targetFor(global);
  const teams =
    target.kind === "remote" ? (await target.api.request<{ teams: Team[] }>("GET", "/api/teams")).teams : await withLocalStore(target.config, (s) => s.people.listTeams());
  if (options.json) printJson(teams);
  else process.stdout.write(`${renderTable(["ID", "NAME"], teams.map((t) => [t.id, t.name]))}\n`);
  return 0;
}
