/**
 * A throwaway certificate authority for TLS tests, made with the real openssl: a CA
 * that plays the ACME CA, and leaf certificates it signs for a host name, returned as
 * the chain and key a cert-manager Secret holds (`tls.crt` = leaf + issuer, `tls.key`).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isIP } from "node:net";

export const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

export interface IssuedCertificate {
  /** Leaf then CA certificate, PEM (what `tls.crt` holds). */
  chain: string;
  key: string;
  serial: string;
}

export interface TestCa {
  cert: string;
  issue(host: string, serial: number): IssuedCertificate;
  dispose(): void;
}

const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });

export function createTestCa(name = "aksml test CA"): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "aksml-pki-"));
  const caKey = join(dir, "ca.key");
  const caCrt = join(dir, "ca.crt");
  openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    caKey,
    "-out",
    caCrt,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  ]);
  const ca = readFileSync(caCrt, "utf8");
  return {
    cert: ca,
    issue(host, serial) {
      const key = join(dir, `${serial}.key`);
      const csr = join(dir, `${serial}.csr`);
      const crt = join(dir, `${serial}.crt`);
      const ext = join(dir, `${serial}.ext`);
      openssl([
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key,
        "-out",
        csr,
        "-subj",
        `/CN=${host}`,
      ]);
      writeFileSync(ext, `subjectAltName=${isIP(host) ? "IP" : "DNS"}:${host}\nextendedKeyUsage=serverAuth\n`);
      openssl([
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        caCrt,
        "-CAkey",
        caKey,
        "-set_serial",
        String(serial),
        "-days",
        "1",
        "-extfile",
        ext,
        "-out",
        crt,
      ]);
      return {
        chain: readFileSync(crt, "utf8") + ca,
        key: readFileSync(key, "utf8"),
        serial: serial.toString(16).toUpperCase().padStart(2, "0"),
      };
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
