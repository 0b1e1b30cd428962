import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { affectedDeployments } from "./affected-deployments.js";

const kubernetes = { namespace: "live", kubeconfig: "/etc/gameops/kubeconfig" };
const fleet = { kind: "kubernetes" as const, deployment: "game-server", configMap: "game-server-config", service: "game-server", adminPort: 8080 };
const incident = (labels: Record<string, string>) => ({ labels });

describe("the deployments an incident is about", () => {
  it("reads kube-state-metrics' namespace and deployment labels", () => {
    expect(affectedDeployments(incident({ alertname: "KubeDeploymentReplicasMismatch", namespace: "shop", deployment: "checkout" }), { targets: {} })).toEqual([
      { namespace: "shop", name: "checkout" },
    ]);
  });

  it("takes the configured namespace for a deployment label without one, and Kubernetes' default without that", () => {
    expect(affectedDeployments(incident({ deployment: "checkout" }), { targets: { kubernetes } })).toEqual([{ namespace: "live", name: "checkout" }]);
    expect(affectedDeployments(incident({ deployment: "checkout" }), { targets: {} })).toEqual([{ namespace: "default", name: "checkout" }]);
  });

  it("adds those the alerts name (a group's common labels drop the ones they do not share), then the fleet's", () => {
    const alerts = [
      { alertname: "KubePodCrashLooping", namespace: "live", deployment: "matchmaker" },
      { alertname: "KubePodCrashLooping", namespace: "live", deployment: "lobby" },
      { alertname: "KubePodCrashLooping", namespace: "live", deployment: "matchmaker" },
    ];
    expect(affectedDeployments(incident({ alertname: "KubePodCrashLooping", namespace: "live" }), { targets: { kubernetes, fleet } }, alerts)).toEqual([
      { namespace: "live", name: "matchmaker" },
      { namespace: "live", name: "lobby" },
      { namespace: "live", name: "game-server" },
    ]);
  });

  it("is the fleet's Deployment alone for an incident without labels, in the fleet's own namespace when it has one", () => {
    expect(affectedDeployments(incident({ severity: "P1" }), { targets: { kubernetes, fleet } })).toEqual([{ namespace: "live", name: "game-server" }]);
    expect(affectedDeployments(incident({}), { targets: { kubernetes, fleet: { ...fleet, namespace: "game" } } })).toEqual([{ namespace: "game", name: "game-server" }]);
    expect(affectedDeployments(incident({ namespace: "game", deployment: "game-server" }), { targets: { fleet: { ...fleet, namespace: "game" } } })).toEqual([
      { namespace: "game", name: "game-server" },
    ]);
  });

  it("is none without labels naming one and without a Kubernetes fleet", () => {
    expect(affectedDeployments(incident({ alertname: "HighErrorRate", namespace: "live" }), { targets: { kubernetes } })).toEqual([]);
    expect(affectedDeployments(incident({}), { targets: { fleet: { kind: "local", url: "http://127.0.0.1:7080" } } })).toEqual([]);
  });

  it("skips label values that cannot be Kubernetes names", () => {
    const odd: Record<string, string>[] = [{ deployment: "Game Server" }, { deployment: "a/b" }, { namespace: "Live", deployment: "lobby" }, { deployment: "" }, { namespace: "x".repeat(64), deployment: "lobby" }];
    expect(affectedDeployments(incident({}), { targets: {} }, odd)).toEqual([]);
    expect(affectedDeployments(incident({ deployment: "game-server.v2" }), { targets: {} })).toEqual([{ namespace: "default", name: "game-server.v2" }]);
  });

  it("never lists one twice, and every one listed is a valid namespace and name", () => {
    const value = fc.constantFrom("live", "shop", "game-server", "Live", "a/b", "", "lobby.v2");
    const labels = fc.record({ namespace: value, deployment: value }, { requiredKeys: [] });
    fc.assert(
      fc.property(labels, fc.array(labels, { maxLength: 6 }), fc.boolean(), (own, alerts, withFleet) => {
        const found = affectedDeployments(incident(own), { targets: withFleet ? { kubernetes, fleet } : { kubernetes } }, alerts);
        const keys = found.map((d) => `${d.namespace}/${d.name}`);
        expect(new Set(keys).size).toBe(keys.length);
        for (const d of found) {
          expect(d.namespace).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
          expect(d.name).toMatch(/^[a-z0-9][-a-z0-9.]*$/);
        }
        if (withFleet) expect(keys).toContain("live/game-server");
      }),
    );
  });
});
