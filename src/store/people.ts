import type { Kysely, Selectable } from "kysely";
import type { PeopleRepository, Person, Team } from "./store.js";
import { StoreError } from "./store-error.js";
import type { Database, PeopleTable } from "./tables.js";

export class People implements PeopleRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async upsertTeam(team: Team): Promise<Team> {
    if (!team.id) throw new StoreError("a team needs an id");
    await this.db
      .insertInto("teams")
      .values({ id: team.id, name: team.name })
      .onConflict((conflict) => conflict.column("id").doUpdateSet({ name: team.name }))
      .execute();
    return { id: team.id, name: team.name };
  }

  async listTeams(): Promise<Team[]> {
    return this.db.selectFrom("teams").select(["id", "name"]).orderBy("name").orderBy("id").execute();
  }

  async upsertPerson(person: Person): Promise<Person> {
    if (!person.id) throw new StoreError("a person needs an id");
    const row = {
      id: person.id,
      name: person.name,
      email: person.email ?? null,
      chat_handle: person.chatHandle ?? null,
      time_zone: person.timeZone ?? null,
      team_id: person.teamId ?? null,
      titles: JSON.stringify(person.titles),
    };
    await this.db.transaction().execute(async (trx) => {
      // Checked here rather than left to the foreign key, so the message is the same on both dialects.
      if (row.team_id !== null && !(await trx.selectFrom("teams").select("id").where("id", "=", row.team_id).executeTakeFirst())) {
        throw new StoreError(`person "${person.id}": team "${row.team_id}" does not exist`);
      }
      const { id: _id, ...changes } = row;
      await trx
        .insertInto("people")
        .values(row)
        .onConflict((conflict) => conflict.column("id").doUpdateSet(changes))
        .execute();
    });
    return toPerson(row);
  }

  async getPerson(id: string): Promise<Person | undefined> {
    const row = await this.db.selectFrom("people").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toPerson(row);
  }

  async listPeople(): Promise<Person[]> {
    const rows = await this.db.selectFrom("people").selectAll().orderBy("name").orderBy("id").execute();
    return rows.map(toPerson);
  }
}

function toPerson(row: Selectable<PeopleTable>): Person {
  return {
    id: row.id,
    name: row.name,
    ...(row.email === null ? {} : { email: row.email }),
    ...(row.chat_handle === null ? {} : { chatHandle: row.chat_handle }),
    ...(row.time_zone === null ? {} : { timeZone: row.time_zone }),
    ...(row.team_id === null ? {} : { teamId: row.team_id }),
    titles: JSON.parse(row.titles) as string[],
  };
}
