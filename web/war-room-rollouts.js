// The war room's "Recent rollouts": the incident's deployments with the revisions rolled out
// around it (GET /api/incidents/:ref/rollouts), newest first. Each revision but the current one
// has "Roll back to this" for operators, which starts the rollback-deployment runbook; the run
// waits on its own page for a second person's approval. Why nothing can be shown (no Kubernetes
// configured, the cluster unreachable) is a quiet note, not an error: many teams have no cluster.

import { h } from "./dom.js";
import { formatAgo, formatTime } from "./format.js";

const needsOperator = "Needs the operator role or above";

export function createRollouts({ client, path, timeZone, mayOperate, onChange }) {
  const body = h("div", { class: "rollouts-body", id: "rollouts-body" });
  const done = h("p", { id: "rollback-started", class: "run-status", role: "status" });
  const error = h("p", { id: "rollouts-error", class: "error", role: "alert" });
  const refresh = h("button", { type: "button", class: "quiet", id: "rollouts-refresh", onclick: () => void load() }, "Refresh");
  const root = h(
    "section",
    { class: "panel war-rollouts", "aria-labelledby": "rollouts-title", "aria-busy": "false" },
    h("div", { class: "role-head" }, h("h2", { id: "rollouts-title" }, "Recent rollouts"), refresh),
    body,
    done,
    error,
  );
  let disposed = false;
  let loading = 0; // the answer of the last load wins

  const both = (iso) => (timeZone === "UTC" ? formatTime(iso, "UTC") : `${formatTime(iso, "UTC")} · ${formatTime(iso, timeZone)}`);

  async function rollBack(deployment, revision, button) {
    error.textContent = "";
    done.textContent = "";
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      const { id } = await client.post(`${path}/rollouts/rollback`, { namespace: deployment.namespace, deployment: deployment.name, revision: revision.revision });
      done.replaceChildren(
        `Rollback of ${deployment.namespace}/${deployment.name} to revision ${revision.revision} started: `,
        h("a", { href: `#/runs/${encodeURIComponent(id)}`, id: "rollback-run-link" }, "its run"),
        " waits there for a second person's approval.",
      );
      await onChange(); // the run is on the timeline
    } catch (failure) {
      error.textContent = failure.message;
    } finally {
      button.removeAttribute("aria-busy");
      button.disabled = false;
    }
  }

  function revisionItem(deployment, revision) {
    const button = revision.current
      ? null
      : h("button", { type: "button", class: "quiet", "data-revision": revision.revision, disabled: !mayOperate, title: mayOperate ? `Start the rollback-deployment runbook to revision ${revision.revision}; it waits for a second person's approval` : needsOperator }, "Roll back to this");
    button?.addEventListener("click", () => void rollBack(deployment, revision, button));
    return h(
      "li",
      { "data-revision": revision.revision, class: revision.current ? "current" : null },
      h(
        "div",
        { class: "revision-head" },
        h("strong", {}, `Revision ${revision.revision}`),
        revision.current ? h("span", { class: "pill status-ok" }, "current") : null,
        h("time", { datetime: revision.createdAt, title: both(revision.createdAt), class: "muted" }, formatAgo(revision.createdAt)),
        h("span", { class: "muted" }, `${revision.replicas} pod${revision.replicas === 1 ? "" : "s"}`),
      ),
      revision.changeCause ? h("p", { class: "change-cause" }, revision.changeCause) : null,
      h("ul", { class: "chips images", "aria-label": "Images" }, revision.images.map((image) => h("li", { class: "chip" }, image))),
      button,
    );
  }

  function draw({ deployments, problem }) {
    const list = h(
      "ul",
      { class: "rollout-list", id: "rollouts" },
      deployments.map((deployment) =>
        h(
          "li",
          { "data-deployment": `${deployment.namespace}/${deployment.name}` },
          h("h3", {}, `${deployment.namespace}/${deployment.name}`),
          deployment.problem ? h("p", { class: "muted rollouts-note" }, deployment.problem) : null,
          deployment.revisions.length ? h("ol", { class: "revisions" }, deployment.revisions.map((revision) => revisionItem(deployment, revision))) : null,
        ),
      ),
    );
    body.replaceChildren(...(problem ? [h("p", { class: "muted rollouts-note", id: "rollouts-note" }, problem)] : []), ...(deployments.length ? [list] : []));
  }

  async function load() {
    const mine = ++loading;
    error.textContent = "";
    root.setAttribute("aria-busy", "true");
    if (!body.hasChildNodes()) body.replaceChildren(h("p", { class: "muted" }, "Reading the rollouts…"));
    try {
      const answer = await client.get(`${path}/rollouts`);
      if (disposed || mine !== loading) return;
      draw(answer);
    } catch (failure) {
      if (disposed || mine !== loading) return;
      body.replaceChildren();
      error.textContent = `Cannot read the rollouts: ${failure.message}`;
    } finally {
      if (mine === loading) root.setAttribute("aria-busy", "false");
    }
  }

  return {
    root,
    load,
    dispose() {
      disposed = true;
    },
  };
}
