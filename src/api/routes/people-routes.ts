import { z } from "zod";
import type { Person, Store } from "../../store/store.js";
import { invalidRequest } from "../errors.js";
import type { ApiRoutes } from "../route.js";
import { personBody, personSchema, teamBody, teamSchema } from "../schemas.js";

const tag = "people";

export function registerPeopleRoutes(routes: ApiRoutes, deps: { store: Store }): void {
  const { store } = deps;

  routes.add({
    method: "GET",
    url: "/api/teams",
    operationId: "listTeams",
    summary: "Teams",
    tag,
    access: "viewer",
    responses: { 200: { description: "teams", schema: z.object({ teams: z.array(teamSchema) }) } },
    handler: async () => ({ teams: await store.people.listTeams() }),
  });

  routes.add({
    method: "POST",
    url: "/api/teams",
    operationId: "saveTeam",
    summary: "Create a team, or rename the one with this id",
    tag,
    access: "admin",
    body: teamBody,
    responses: {
      201: { description: "created", schema: teamSchema },
      200: { description: "updated", schema: teamSchema },
    },
    handler: async ({ body, actor, reply }) => {
      const existed = (await store.people.listTeams()).some((t) => t.id === body.id);
      const team = await store.people.upsertTeam(body);
      await store.audit.append({
        actor: actor.name,
        action: existed ? "team.update" : "team.create",
        subject: `team:${team.id}`,
        details: { name: team.name },
      });
      reply.code(existed ? 200 : 201);
      return team;
    },
  });

  routes.add({
    method: "GET",
    url: "/api/people",
    operationId: "listPeople",
    summary: "People",
    tag,
    access: "viewer",
    responses: { 200: { description: "people", schema: z.object({ people: z.array(personSchema) }) } },
    handler: async () => ({ people: await store.people.listPeople() }),
  });

  routes.add({
    method: "POST",
    url: "/api/people",
    operationId: "savePerson",
    summary: "Add a person, or replace the one with this id",
    tag,
    access: "admin",
    body: personBody,
    responses: {
      201: { description: "created", schema: personSchema },
      200: { description: "updated", schema: personSchema },
    },
    handler: async ({ body, actor, reply }) => {
      if (body.teamId !== undefined && !(await store.people.listTeams()).some((t) => t.id === body.teamId)) {
        throw invalidRequest([{ path: "teamId", message: `no team "${body.teamId}"; create it first with POST /api/teams` }]);
      }
      const existed = (await store.people.getPerson(body.id)) !== undefined;
      const input: Person = {
        id: body.id,
        name: body.name,
        titles: body.titles,
        ...(body.email !== undefined ? { email: body.email } : {}),
        ...(body.chatHandle !== undefined ? { chatHandle: body.chatHandle } : {}),
        ...(body.timeZone !== undefined ? { timeZone: body.timeZone } : {}),
        ...(body.teamId !== undefined ? { teamId: body.teamId } : {}),
      };
      const person = await store.people.upsertPerson(input);
      await store.audit.append({
        actor: actor.name,
        action: existed ? "person.update" : "person.create",
        subject: `person:${person.id}`,
        details: { ...input },
      });
      reply.code(existed ? 200 : 201);
      return person;
    },
  });
}
