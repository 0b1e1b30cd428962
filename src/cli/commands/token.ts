import type { Role, TokenRecord } from "../../store/store.js";
import { localActor, printJson, targetFor, withLocalStore, type GlobalOptions } from "../session.js";
import { renderTable } from "../table.js";
import { UsageError } from "../usage-error.js";

export async function create(global: GlobalOptions, options: { person: string; role: Role; label: string; json?: boolean }): Promise<number> {
  const target = targetFor(global);
  const created =
    target.kind === "remote"
      ? await target.api.request<{ token: string; record: TokenRecord }>("POST", "/api/tokens", { personId: options.person, role: options.role, label: options.label })
      : await withLocalStore(target.config, async (store) => {
          if (!(await store.people.getPerson(options.person))) {
            throw new UsageError(`no person "${options.person}"; add them first with \`gameops people add ${options.person} --name …\``);
          }
          const result = await store.tokens.create({ personId: options.person, role: options.role, label: options.label });
          await store.audit.append({ actor: localActor(), action: "token.create", subject: `token:${result.record.id}`, details: { personId: options.person, role: options.role, label: options.label } });
          return result;
        });
  if (options.json) printJson(created);
  else {
    process.stdout.write(`token ${created.record.id} for ${options.person} (${options.role}) — shown once, store it now:\n${created.token}\n`);
  }
  return 0;
}

export async function list(global: GlobalOptions, options: { json?: boolean }): Promise<number> {
  const target = targetFor(global);
  const tokens =
    target.kind === "remote" ? (await target.api.request<{ tokens: TokenRecord[] }>("GET", "/api/tokens")).tokens : await withLocalStore(target.config, (s) => s.tokens.list());
  if (options.json) printJson(tokens);
  else
    process.stdout.write(
      `${renderTable(
        ["ID", "PERSON", "ROLE", "LABEL", "CREATED", "LAST USED", "REVOKED"],
        tokens.map((t) => [t.id, t.personId ?? "(bootstrap admin)", t.role, t.label, t.createdAt, t.lastUsedAt ?? "-", t.revokedAt ?? "-"]),
      )}\n`,
    );
  return 0;
}

export async function revoke(global: GlobalOptions, id: string): Promise<number> {
  const target = targetFor(global);
  const done =
    target.kind === "remote"
      ? (await target.api.request("DELETE", `/api/tokens/${encodeURIComponent(id)}`), true)
      : await withLocalStore(target.config, async (store) => {
          const revoked = await store.tokens.revoke(id);
          if (revoked) await store.audit.append({ actor: localActor(), action: "token.revoke", subject: `token:${id}`, details: {} });
          return revoked;
        });
  if (!done) {
    process.stderr.write(`gameops: no active token ${id}\n`);
    return 1;
  }
  process.stdout.write(`token ${id} revoked\n`);
  return 0;
}
