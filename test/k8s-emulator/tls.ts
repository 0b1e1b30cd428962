import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ServingCertificate {
  cert: string;
  key: string;
}

let cached: ServingCertificate | undefined;

/**
 * A self-signed serving certificate for 127.0.0.1/localhost, made once per process with the
 * openssl CLI (Node cannot issue X.509 certificates). The kubeconfig trusts it through
 * `certificate-authority-data`, as a real cluster's does, so both kubectl and client-node verify TLS.
 */
export function servingCertificate(): ServingCertificate {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), "k8s-emulator-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "3650",
        "-subj", "/CN=k8s-emulator",
        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,digitalSignature,keyCertSign",
        "-addext", "extendedKeyUsage=serverAuth",
      ],
      { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 },
    );
    cached = { cert: readFileSync(join(dir, "cert.pem"), "utf8"), key: readFileSync(join(dir, "key.pem"), "utf8") };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
