import type { Route } from "../../config/paging-schema.js";
import { compileLabelRegex } from "./matchers.js";

/**
 * Which escalation policy an alert follows: the first route whose `match` (label equality) and
 * `matchRegex` (anchored regexes) all hold on the alert's labels; the default policy when none
 * does. A missing label reads as "", as in Alertmanager.
 */

export interface RouteChoice {
  /** Index of the route in paging.routes; absent when the default policy applies. */
  route?: number;
  policy: string;
  /** The priority of the incident the route asks for (issue 5). */
  declare?: NonNullable<Route["declare"]>;
}

export type Labels = Readonly<Record<string, string>>;

/** A router for the configured routes, their regexes compiled once. */
export function compileRoutes(routes: readonly Route[], defaultPolicy: string): (labels: Labels) => RouteChoice {
  const compiled = routes.map((r) => ({
    equal: Object.entries(r.match),
    regex: Object.entries(r.matchRegex).map(([name, source]) => [name, compileLabelRegex(source)] as const),
  }));
  return (labels) => {
    const index = compiled.findIndex(
      ({ equal, regex }) => equal.every(([name, value]) => (labels[name] ?? "") === value) && regex.every(([name, re]) => re.test(labels[name] ?? "")),
    );
    const route = routes[index];
    if (!route) return { policy: defaultPolicy };
    return {
      route: index,
      policy: route.policy ?? defaultPolicy,
      ...(route.declare ? { declare: route.declare } : {}),
    };
  };
}
