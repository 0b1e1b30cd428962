import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { endpointOf } from "../../src/integrations/http/endpoint.js";

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("endpoint", () => {
  it("keeps the credentials out of the label and sends them as Basic, printed only as <secret>", () => {
    const endpoint = endpointOf("https://ops:s3cr%40t@alerts.example.com/alertmanager", 5000);
    expect(endpoint.label).toBe("https://alerts.example.com/alertmanager");
    expect(endpoint.base.href).toBe("https://alerts.example.com/alertmanager/");
    expect(endpoint.authorization?.reveal()).toBe(`Basic ${Buffer.from("ops:s3cr@t").toString("base64")}`);
    expect(JSON.stringify(endpoint)).not.toMatch(/s3cr|ops:/);
    expect(inspect(endpoint)).not.toMatch(/s3cr|ops:/);
  });

  it("takes a user without a password", () => {
    expect(endpointOf("http://ops@127.0.0.1:9093", 5000).authorization?.reveal()).toBe(`Basic ${Buffer.from("ops:").toString("base64")}`);
  });

  it("has no authorization when the URL carries no credentials", () => {
    expect(endpointOf("http://127.0.0.1:9093", 5000).authorization).toBeUndefined();
  });

  it("drops the query and fragment, and calls under the path prefix with or without its trailing slash", () => {
    for (const url of ["http://127.0.0.1:9090/prometheus?x=1#top", "http://127.0.0.1:9090/prometheus/"]) {
      const endpoint = endpointOf(url, 5000);
      expect(endpoint.label).toBe("http://127.0.0.1:9090/prometheus");
      expect(new URL("api/v1/query", endpoint.base).href).toBe("http://127.0.0.1:9090/prometheus/api/v1/query");
    }
    expect(endpointOf("http://127.0.0.1:9090", 5000).label).toBe("http://127.0.0.1:9090");
  });

  it("rejects a malformed URL without printing its credentials", () => {
    const error = thrown(() => endpointOf("http://ops:s3cr@t@127.0.0.1:99999", 5000));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe("invalid URL: http://<credentials>@127.0.0.1:99999");
    expect(inspect(error)).not.toMatch(/s3cr/);
  });

  it("rejects a URL without a scheme, whose user would pass for one, without printing the password", () => {
    const error = thrown(() => endpointOf("ops:hunter2@alertmanager:9093", 5000));
    expect((error as Error).message).toBe("not an http(s) URL: <credentials>@alertmanager:9093");
  });

  it("rejects a scheme other than http and https", () => {
    expect((thrown(() => endpointOf("ftp://ops:hunter2@files.example.com/", 5000)) as Error).message).toBe(
      "not an http(s) URL: ftp://<credentials>@files.example.com/",
    );
  });

  it("prints a malformed URL without credentials as it is", () => {
    expect((thrown(() => endpointOf("127.0.0.1:9093", 5000)) as Error).message).toBe("invalid URL: 127.0.0.1:9093");
  });
});
