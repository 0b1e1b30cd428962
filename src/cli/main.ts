import { Command, CommanderError, Option } from "commander";
import { ConfigError } from "../config/config-error.js";
import { packageVersion } from "../package-root.js";
import { ApiError } from "./remote.js";
import { UsageError } from "./usage-error.js";

/**
 * Exit codes: `check` follows Nagios (0 ok, 1 warning, 2 critical, 3 unknown); `runbook run` and
 * `run resume` say how the run stands (0 succeeded, 1 failed or rolled back, 4 waiting, 5
 * cancelled); every other command exits 0 on success, 1 when the operation failed, 2 on a usage
 * error, 78 on a bad config.
 */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const setCode = (c: number) => {
    code = c;
  };
  const program = new Command("gameops")
    .description("Operations for live games: health checks, incidents, runbooks, paging, backups.")
    .version(packageVersion(), "-V, --version")
    .option("-c, --config <path>", "gameops.yaml to use (default: GAMEOPS_CONFIG or ./gameops.yaml)")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) })
    .showSuggestionAfterError(true);

  program
    .command("init")
    .description("write a commented example gameops.yaml")
    .option("--path <file>", "where to write it", "gameops.yaml")
    .option("--force", "overwrite an existing file")
    .action(async (options) => setCode(await (await import("./commands/init.js")).init(options)));

  program
    .command("check")
    .description("run the daily health check now (exit 0 ok, 1 warning, 2 critical, 3 unknown)")
    .option("--only <names>", "comma-separated checks: mysql,redis,disk,logs,alerts,kubernetes")
    .option("--json", "print the report as JSON")
    .option("--no-record", "do not keep this run in the history")
    .action(async (options) => setCode(await (await import("./commands/check.js")).check(program.opts(), options)));

  program
    .command("up")
    .description("serve the API and console, and run the scheduled daily check")
    .option("--port <port>", "TCP port (default 7070 or server.port)")
    .option("--host <address>", "address to listen on (default 127.0.0.1)")
    .option("--demo [servers]", "also run a demo fleet of game servers on loopback (default 3), so every runbook can run here")
    .action(async (options) => setCode(await (await import("./commands/up.js")).up(program.opts(), options)));

  const runs = program.command("runs").description("history of health-check runs");
  runs
    .command("list", { isDefault: true })
    .description("recent runs, newest first")
    .option("--limit <n>", "how many", "20")
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await import("./commands/runs.js")).list(program.opts(), options)));
  runs
    .command("show <id>")
    .description("one run with every check's details")
    .option("--json", "print JSON")
    .action(async (id, options) => setCode(await (await import("./commands/runs.js")).show(program.opts(), id, options)));

  const collect = (value: string, previous: string[] = []) => [...previous, value];
  const runbook = program.command("runbook").description("runbooks: the catalogue, validation, and running one (docs/runbooks.md)");
  runbook
    .command("list", { isDefault: true })
    .description("built-in runbooks and your own (runbooks/ beside gameops.yaml, or GAMEOPS_RUNBOOKS)")
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await import("./commands/runbook.js")).list(program.opts(), options)));
  runbook
    .command("show <name>")
    .description("a runbook's params and its plan with the default params")
    .option("--json", "print JSON")
    .action(async (name, options) => setCode(await (await import("./commands/runbook.js")).show(program.opts(), name, options)));
  runbook
    .command("validate <files...>")
    .description("check runbook files: each mistake with file:line:column, the field and the fix (exit 1 if any is invalid)")
    .option("--json", "print JSON")
    .action(async (files, options) => setCode(await (await import("./commands/runbook.js")).validate(program.opts(), files, options)));
  runbook
    .command("schema")
    .description("print the runbook format's JSON Schema (for editors)")
    .action(async () => setCode(await (await import("./commands/runbook.js")).schema()));
  runbook
    .command("run <name-or-file>")
    .description("run a runbook (exit 0 succeeded, 1 failed or rolled back, 2 usage, 4 waiting, 5 cancelled)")
    .option("--param <name=value>", "a param (repeat for more)", collect)
    .option("--param-file <name=path>", "a param's value read from a file: for secrets, which argv would show (repeat for more)", collect)
    .option("--dry-run", "print the whole plan — every rendered command, target and approval gate — and touch nothing")
    .option("--yes", 'start without asking "Start? [y/N]" (never answers an approval step)')
    .option("--as <person>", "who starts it and answers approvals here (default: GAMEOPS_PERSON)")
    .option("--json", "print the run's record as JSON at the end (progress goes to stderr)")
    .action(async (name, options) => setCode(await (await import("./commands/runbook.js")).run(program.opts(), name, options)));

  const run = program.command("run").description("runbook runs: history, approvals, decisions, resume, cancel");
  run
    .command("list", { isDefault: true })
    .description("recent runs, newest first")
    .option("--limit <n>", "how many", "20")
    .option("--status <list>", "only these statuses, e.g. waiting_approval,running")
    .option("--runbook <name>", "only runs of this runbook")
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await import("./commands/run.js")).list(program.opts(), options)));
  run
    .command("show <id>")
    .description("one run: every step with its action, status, time and output; approvals; artifacts")
    .option("--json", "print JSON")
    .action(async (id, options) => setCode(await (await import("./commands/run.js")).show(program.opts(), id, options)));
  run
    .command("approve <id>")
    .description("approve (or --reject) the approval a run waits for")
    .option("--step <id>", "the approve step (default: the one the run waits at)")
    .option("--reject", "reject instead: the step fails")
    .option("--comment <text>", "why, kept with the approval")
    .option("--as <person>", "who approves, locally (default: GAMEOPS_PERSON); through a server, the token's person")
    .action(async (id, options) => setCode(await (await import("./commands/run.js")).approve(program.opts(), id, options)));
  run
    .command("decide <id> <choice>")
    .description("about an interrupted step that is not idempotent: retry, skip or fail it")
    .option("--step <id>", "the interrupted step (default: the one the run waits at)")
    .option("--as <person>", "who decides, locally (default: GAMEOPS_PERSON)")
    .action(async (id, choice, options) => setCode(await (await import("./commands/run.js")).decide(program.opts(), id, choice, options)));
  run
    .command("resume <id>")
    .description("go on with a run here (after a crash, an approval, or a Ctrl-C); same exit codes as runbook run")
    .option("--param <name=value>", "a secret param again (repeat for more)", collect)
    .option("--param-file <name=path>", "a secret param's value from a file (repeat for more)", collect)
    .option("--as <person>", "who resumes it and answers approvals here (default: GAMEOPS_PERSON)")
    .option("--json", "print the run's record as JSON at the end")
    .action(async (id, options) => setCode(await (await import("./commands/run.js")).resume(program.opts(), id, options)));
  run
    .command("cancel <id>")
    .description("cancel a run: the step under way is aborted, finally runs, the locks are released")
    .option("--as <person>", "who cancels it (default: GAMEOPS_PERSON)")
    .action(async (id, options) => setCode(await (await import("./commands/run.js")).cancel(program.opts(), id, options)));

  const token = program.command("token").description("API tokens (stored hashed; shown once)");
  token
    .command("create")
    .description("create a token for a person")
    .requiredOption("--person <id>", "the person it belongs to")
    .addOption(new Option("--role <role>", "what it may do").choices(["viewer", "responder", "operator", "admin"]).makeOptionMandatory())
    .option("--label <text>", "what it is for", "cli")
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await import("./commands/token.js")).create(program.opts(), options)));
  token
    .command("list")
    .description("tokens (never their values)")
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await import("./commands/token.js")).list(program.opts(), options)));
  token
    .command("revoke <id>")
    .description("revoke a token")
    .action(async (id) => setCode(await (await import("./commands/token.js")).revoke(program.opts(), id)));

  const people = program.command("people").description("the people who are paged, approve and act");
  people
    .command("add <id>")
    .description("add or update a person")
    .requiredOption("--name <name>", "full name")
    .option("--email <address>")
    .option("--chat <handle>", "chat handle, e.g. @mina")
    .option("--time-zone <zone>", "IANA time zone, e.g. Asia/Seoul")
    .option("--team <id>", "team id")
    .option("--title <title...>", "organisational roles such as lead, director")
    .action(async (id, options) => setCode(await (await import("./commands/people.js")).addPerson(program.opts(), id, options)));
  people
    .command("list", { isDefault: true })
    .description("everyone, with team and titles")
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await import("./commands/people.js")).listPeople(program.opts(), options)));

  const teams = program.command("team").description("teams");
  teams
    .command("add <id>")
    .requiredOption("--name <name>", "display name")
    .action(async (id, options) => setCode(await (await import("./commands/people.js")).addTeam(program.opts(), id, options)));
  teams
    .command("list", { isDefault: true })
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await import("./commands/people.js")).listTeams(program.opts(), options)));

  const alert = program.command("alert").description("alerts received from Alertmanager and other sources");
  alert
    .command("list", { isDefault: true })
    .description("alerts, most recently seen first")
    .addOption(new Option("--status <status>", "only firing or only resolved alerts").choices(["firing", "resolved"]))
    .option("--limit <n>", "how many", "100")
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await import("./commands/alert.js")).list(program.opts(), options)));

  const page = program.command("page").description("pages: who was notified, acknowledging, resolving, escalating");
  page
    .command("list", { isDefault: true })
    .description("pages, newest first")
    .option("--status <list>", "only these statuses, e.g. triggered,acknowledged")
    .option("--limit <n>", "how many", "50")
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await import("./commands/page.js")).list(program.opts(), options)));
  page
    .command("show <ref>")
    .description("a page (its number, like 42, or its id): the timeline and every delivery with its attempts")
    .option("--json", "print JSON")
    .action(async (ref, options) => setCode(await (await import("./commands/page.js")).show(program.opts(), ref, options)));
  page
    .command("ack <ref>")
    .description("acknowledge a page: its escalation stops (as GAMEOPS_PERSON locally)")
    .action(async (ref) => setCode(await (await import("./commands/page.js")).acknowledge(program.opts(), ref)));
  page
    .command("resolve <ref>")
    .description("resolve a page")
    .action(async (ref) => setCode(await (await import("./commands/page.js")).resolve(program.opts(), ref)));
  page
    .command("escalate <ref>")
    .description("escalate now: the next level is notified at once")
    .action(async (ref) => setCode(await (await import("./commands/page.js")).escalate(program.opts(), ref)));
  page
    .command("reassign <ref>")
    .description("notify other people now; the escalation carries on until someone acknowledges")
    .requiredOption("--to <people>", "person ids, comma-separated")
    .action(async (ref, options) => setCode(await (await import("./commands/page.js")).reassign(program.opts(), ref, options)));
  page
    .command("test <person>")
    .description("send a test page to someone through every channel and show what arrived (exit 1 if any did not go out within 30 s)")
    .action(async (person) => setCode(await (await import("./commands/page.js")).test(program.opts(), person)));

  const oncall = program.command("oncall").description("on-call schedules: who is on call, shifts, gaps, overrides, calendar feeds");
  oncall
    .command("now", { isDefault: true })
    .description("who is on call now in each schedule")
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await import("./commands/oncall.js")).now(program.opts(), options)));
  oncall
    .command("show")
    .description("shifts over the coming weeks in each schedule's time zone, then the coverage gaps (exit 1 if there is a gap)")
    .option("--schedule <id>", "one schedule (default: all)")
    .option("--weeks <n>", "how many weeks ahead", "4")
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await import("./commands/oncall.js")).show(program.opts(), options)));
  oncall
    .command("override")
    .description("someone takes a role in a schedule for a while (a swap, a sick day)")
    .requiredOption("--schedule <id>", "the schedule")
    .requiredOption("--person <id>", "who takes the role")
    .addOption(new Option("--role <role>", "which role").choices(["primary", "backup"]).default("primary"))
    .option("--from <time>", "ISO 8601 time with offset (default: now)")
    .option("--until <time>", "ISO 8601 time with offset, like 2026-01-06T10:00:00+09:00")
    .option("--for <duration>", "how long, like 8h or 2d (instead of --until)")
    .option("--reason <text>", "why, kept with the override")
    .action(async (options) => setCode(await (await import("./commands/oncall.js")).override(program.opts(), options)));
  oncall
    .command("feed")
    .description("the URL of an iCalendar feed of a schedule's shifts or one person's, for a calendar app")
    .option("--schedule <id>", "one schedule")
    .option("--person <id>", "one person's shifts")
    .action(async (options) => setCode(await (await import("./commands/oncall.js")).feed(program.opts(), options)));

  const window = program.command("window").description("maintenance windows: matching alerts page nobody (and Alertmanager is silenced alike)");
  window
    .command("start")
    .description("start a maintenance window")
    .requiredOption("--title <text>", "what the maintenance is")
    .option("--match <matcher>", "a label matcher like alertname=ServerDown or instance=~\"game-.*\" (repeat for more; all must match)", collect)
    .option("--from <time>", "ISO 8601 time with offset (default: now)")
    .option("--until <time>", "ISO 8601 time with offset")
    .option("--for <duration>", "how long, like 2h (instead of --until)")
    .action(async (options) => setCode(await (await import("./commands/window.js")).start(program.opts(), options)));
  window
    .command("list", { isDefault: true })
    .description("windows in force or ahead")
    .option("--all", "with the ended ones")
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await import("./commands/window.js")).list(program.opts(), options)));
  window
    .command("end <id>")
    .description("end a window now (and expire its Alertmanager silence)")
    .action(async (id) => setCode(await (await import("./commands/window.js")).end(program.opts(), id)));

  const rules = program.command("rules").description("Prometheus alert rules: the ones gameops ships (rules/), or yours");
  rules
    .command("check [files...]")
    .description("promtool check rules and test rules, and every alert's runbook against the catalogue (exit 0 ok, 1 problems, 2 no such file or no promtool)")
    .option("--json", "print JSON")
    .action(async (files: string[], options) => setCode(await (await import("./commands/rules.js")).check(program.opts(), files, options)));

  const incident = program
    .command("incident")
    .description("incidents: declare one, the war room, status updates, post-mortems, MTTA/MTTR")
    // `incident help REF` requests more people; `gameops incident --help` still shows the help.
    .helpCommand(false);
  incident
    .command("declare")
    .description("declare an incident: pages the commander and the on-call, opens the war room and starts its clocks")
    .requiredOption("--title <text>", "what is wrong, like \"Login fails for 30% of players\"")
    .requiredOption("--severity <P1-P4>", "P1 whole service down, P2 major feature down, P3 some features degraded, P4 minor")
    .option("--impact <text>", "who or what is affected")
    .option("--commander <person>", "the incident commander (owner for P3/P4); default: the on-call primary")
    .option("--page <number>", "a page (an alert's) that joins the incident (repeat for more)", collect)
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await import("./commands/incident.js")).declare(program.opts(), options)));
  incident
    .command("list", { isDefault: true })
    .description("incidents, newest first: severity, status, age, response SLA, commander or owner")
    .option("--status <list>", "only these states, e.g. open (not yet resolved) or mitigating,root_cause")
    .option("--severity <list>", "only these severities, e.g. P1,P2")
    .option("--limit <n>", "how many", "20")
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await import("./commands/incident.js")).list(program.opts(), options)));
  incident
    .command("show <incident>")
    .description("the war room: clocks, roles, checklist, pages, action items, the timeline in UTC and the team's zone")
    .option("--json", "print JSON")
    .action(async (ref, options) => setCode(await (await import("./commands/incident-show.js")).show(program.opts(), ref, options)));
  incident
    .command("ack <incident>")
    .description("acknowledge: stops the response clock and the escalation of its pages")
    .action(async (ref) => setCode(await (await import("./commands/incident.js")).acknowledge(program.opts(), ref)));
  incident
    .command("status <incident> <state>")
    .description("move along the life cycle: declared, triage, mitigating, root_cause, resolved, postmortem, documented")
    .action(async (ref, state) => setCode(await (await import("./commands/incident.js")).moveTo(program.opts(), ref, state)));
  incident
    .command("resolve <incident>")
    .description("the same as status INCIDENT resolved: resolves its pages too")
    .action(async (ref) => setCode(await (await import("./commands/incident.js")).moveTo(program.opts(), ref, "resolved")));
  incident
    .command("severity <incident> <severity>")
    .description("change the severity (recorded; the response deadline follows it while unacknowledged)")
    .action(async (ref, severity) => setCode(await (await import("./commands/incident.js")).setSeverity(program.opts(), ref, severity)));
  incident
    .command("role <incident> <role> <person>")
    .description("give a role to a person (ic, tech_lead, comms, scribe, owner); a handoff is recorded")
    .action(async (ref, role, person) => setCode(await (await import("./commands/incident.js")).assignRole(program.opts(), ref, role, person)));
  incident
    .command("note <incident> <text>")
    .description("a note on the timeline")
    .action(async (ref, text) => setCode(await (await import("./commands/incident.js")).note(program.opts(), ref, text)));
  incident
    .command("update <incident> <text>")
    .description("a status update: to the timeline and the war-room channel; the next one is due a cadence later")
    .option("--customer-notice", "also fill incidents.customerNotice with it and print the notice")
    .action(async (ref, text, options) => setCode(await (await import("./commands/incident.js")).postUpdate(program.opts(), ref, text, options)));
  incident
    .command("task <incident> <task>")
    .description("tick a war-room checklist item (its id, as incident show lists them)")
    .option("--undo", "untick it")
    .action(async (ref, task, options) => setCode(await (await import("./commands/incident.js")).task(program.opts(), ref, task, options)));
  incident
    .command("help <incident>")
    .description("request more people: pages a schedule's on-call into the incident")
    .requiredOption("--schedule <id>", "whose on-call to page")
    .action(async (ref, options) => setCode(await (await import("./commands/incident.js")).requestPeople(program.opts(), ref, options)));
  incident
    .command("action <incident>")
    .description("an action item for the post-mortem, with an owner and a due date")
    .requiredOption("--text <text>", "what is to be done")
    .requiredOption("--owner <person>", "who does it")
    .option("--due <date>", "when, like 2026-12-01 (the team's zone)")
    .action(async (ref, options) => setCode(await (await import("./commands/incident.js")).addActionItem(program.opts(), ref, options)));
  incident
    .command("action-done <id>")
    .description("mark an action item done")
    .action(async (id) => setCode(await (await import("./commands/incident.js")).completeActionItem(program.opts(), id)));
  incident
    .command("postmortem <incident>")
    .description("print the post-mortem Markdown (the saved one, or a draft), write it to edit, or save the edited file")
    .option("--out <file>", "write it to this file instead")
    .option("--force", "with --out: overwrite the file")
    .option("--save <file>", "keep this edited file as the post-mortem (a resolved incident moves to postmortem)")
    .option("--json", "print JSON")
    .action(async (ref, options) => setCode(await (await import("./commands/incident-postmortem.js")).postmortem(program.opts(), ref, options)));
  incident
    .command("metrics")
    .description("MTTA and MTTR per month and severity")
    .option("--months <n>", "how many months back", "6")
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await import("./commands/incident-metrics.js")).metrics(program.opts(), options)));

  const checklist = program.command("checklist").description("the daily, weekly and monthly operations checklists: who did what, what automation proved, what is overdue");
  checklist
    .command("show [cadence]", { isDefault: true })
    .description("a checklist for the current period (daily by default); exit 1 while an item is overdue")
    .option("--period <key>", "another period: 2026-11-26, 2026-W48 or 2026-11")
    .option("--json", "print JSON")
    .action(async (cadence: string | undefined, options) => setCode(await (await import("./commands/checklist.js")).show(program.opts(), cadence, options)));
  checklist
    .command("done <item>")
    .description("sign an item off (as GAMEOPS_PERSON locally); the first sign-off of a period stands")
    .option("--cadence <cadence>", "daily, weekly or monthly", "daily")
    .option("--period <key>", "a past period instead of the current one")
    .option("--note <text>", "kept with the sign-off")
    .action(async (item: string, options) => setCode(await (await import("./commands/checklist.js")).done(program.opts(), item, options)));

  const backupCommands = () => import("./commands/backup.js");
  const backup = program.command("backup").description("backup sets: take, list, show, verify, prune (docs/backups.md)");
  backup
    .command("take", { isDefault: true })
    .description("take a backup set of every configured component (the `backup` runbook); exit 0 when written")
    .option("--components <list>", "comma list of mysql, redis, kubernetes, files; every configured one by default")
    .option("--verify <how>", "none (default), shallow (re-hash) or deep (restore into scratch servers and fingerprint) afterwards")
    .option("--as <person>", "who starts it (default: GAMEOPS_PERSON)")
    .option("--json", "print the run's record as JSON at the end (progress goes to stderr)")
    .action(async (options) => setCode(await (await backupCommands()).take(program.opts(), options)));
  backup
    .command("list")
    .description("backup sets, newest first: status (only verified ones are good), size, times")
    .option("--limit <n>", "how many", "30")
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await backupCommands()).list(program.opts(), options)));
  backup
    .command("show <set>")
    .description("one set: its artifacts with sizes and sha256, tool versions, binlog position, fingerprint")
    .option("--json", "print JSON")
    .action(async (id, options) => setCode(await (await backupCommands()).show(program.opts(), id, options)));
  backup
    .command("verify [set]")
    .description("re-read and re-hash every artifact of a set (the newest by default); --deep also restores it into scratch servers and compares fingerprints")
    .option("--deep", "restore the dump into a scratch database and the RDB into a scratch redis-server, and fingerprint them")
    .option("--as <person>", "who starts it (default: GAMEOPS_PERSON)")
    .option("--json", "print the run's record as JSON at the end (progress goes to stderr)")
    .action(async (set, options) => setCode(await (await backupCommands()).verify(program.opts(), set, options)));
  backup
    .command("prune")
    .description("remove the sets the retention policy lets go (never below retention.minGood verified sets, never the newest verified)")
    .option("--dry-run", "only list what would go and why each set stays")
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await backupCommands()).prune(program.opts(), options)));
  program
    .command("restore <set>")
    .description("restore a backup set (`latest`: the newest verified) with the `restore` runbook: verified first; into a new database, a scratch redis-server and a folder unless --overwrite")
    .option("--components <list>", "comma list of the set's components to restore; all of them by default")
    .option("--target-db <name>", "the new database MySQL is restored into (default <db>_restore_<set>)")
    .option("--overwrite", "replace the live database and Redis dataset: needs a second person's approval; a safety set is taken first")
    .option("--to <path>", "folder files (and the scratch Redis without --overwrite) go under (default <dataDir>/restores/<set>)")
    .option("--namespace <name>", "namespace Kubernetes objects are applied in (default: the one they came from)")
    .option("--no-maintenance", "do not put the fleet in maintenance during an --overwrite (no fleet configured, or it is down anyway)")
    .option("--dry-run", "print the runbook's plan and touch nothing")
    .option("--yes", 'start without asking "Start? [y/N]" (never answers the approval)')
    .option("--as <person>", "who starts it (default: GAMEOPS_PERSON)")
    .option("--json", "print the run's record as JSON at the end (progress goes to stderr)")
    .action(async (set, options) => setCode(await (await backupCommands()).restore(program.opts(), set, options)));
  program
    .command("db-maintenance")
    .description("rotate monthly partitions, delete old rows in batches, ANALYZE / OPTIMIZE (the `db-maintenance` runbook; dbMaintenance in the config)")
    .option("--dry-run", "only plan: every statement with the rows it would delete; change nothing")
    .option("--rebuild-big-tables", "also OPTIMIZE InnoDB tables above dbMaintenance.bigTableMb (a full copy, with locks)")
    .option("--yes", 'start without asking "Start? [y/N]" (never answers the approval)')
    .option("--as <person>", "who starts it (default: GAMEOPS_PERSON)")
    .option("--json", "print the run's record as JSON at the end (progress goes to stderr)")
    .action(async (options) => setCode(await (await backupCommands()).dbMaintenance(program.opts(), options)));

  const config = program.command("config").description("the effective configuration");
  config
    .command("show", { isDefault: true })
    .description("print it, secrets as <secret>")
    .option("--json", "print JSON")
    .action(async (options) => setCode(await (await import("./commands/config.js")).show(program.opts(), options)));

  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and version are not failures; commander already printed the message.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`gameops: ${error.message}\n`);
    return 78;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`gameops: ${error.message}\n`);
    return 2;
  }
  if (error instanceof ApiError) {
    process.stderr.write(`gameops: ${error.message}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`gameops: ${message}\n`);
  if (process.env.GAMEOPS_LOG_LEVEL === "debug" && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return 1;
}
