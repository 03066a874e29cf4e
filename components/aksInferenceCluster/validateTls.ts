/**
 * AksInferenceCluster's TLS rules (Azure ML's `enable_ssl`): the certificate trio goes
 * together, a leaf domain label excludes it and needs a public IP, and each value has
 * the shape its use needs.
 */
import { LoadBalancerType } from "../shared/clusterConnection.js";
import { known } from "../shared/inputs.js";
import type { AddProblem } from "../shared/problems.js";
import type { AksInferenceClusterArgs } from "./args.js";

const DNS_LABEL = /^[a-z][a-z0-9-]{1,61}[a-z0-9]$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export function checkTls(args: AksInferenceClusterArgs, lbType: LoadBalancerType | undefined, add: AddProblem): void {
  const tls = args.tls;
  if (!tls) return;
  const trio = ["sslCname", "sslCertPem", "sslKeyPem"] as const;
  const given = trio.filter((f) => tls[f] !== undefined);
  if (given.length > 0 && given.length < trio.length)
    for (const f of trio)
      if (tls[f] === undefined) add(`tls.${f}`, `sslCname, sslCertPem and sslKeyPem go together; ${f} is missing.`);
  if (tls.leafDomainLabel !== undefined && given.length > 0)
    add(
      "tls.leafDomainLabel",
      "use either leafDomainLabel (a generated name and certificate) or sslCname with your own certificate, not both.",
    );
  if (tls.leafDomainLabel !== undefined && lbType === LoadBalancerType.InternalLoadBalancer)
    add(
      "tls.leafDomainLabel",
      "a leaf domain label names a public IP and is not supported with an internal load balancer; use sslCname with your own certificate.",
    );
  const label = known(tls.leafDomainLabel);
  if (label !== undefined && !DNS_LABEL.test(label))
    add(
      "tls.leafDomainLabel",
      `"${label}" is not a valid DNS label (3-63 lowercase letters, digits and dashes, starting with a letter).`,
    );
  const cname = known(tls.sslCname);
  if (cname !== undefined && !HOSTNAME.test(cname))
    add("tls.sslCname", `"${cname}" is not a host name such as scoring.example.com.`);
  const cert = known(tls.sslCertPem);
  if (cert !== undefined && !/-----BEGIN CERTIFICATE-----/.test(cert))
    add(
      "tls.sslCertPem",
      "is not a PEM certificate (expected -----BEGIN CERTIFICATE-----); pass the file's content, not its path.",
    );
  const key = known(tls.sslKeyPem);
  if (key !== undefined && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key))
    add(
      "tls.sslKeyPem",
      "is not a PEM private key (expected -----BEGIN ... PRIVATE KEY-----); pass the file's content, not its path.",
    );
}
