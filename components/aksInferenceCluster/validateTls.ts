/**
 * AksInferenceCluster's TLS rules (Azure ML's `enable_ssl`): the certificate trio goes
 * together, a leaf domain label excludes it and needs a public IP the router answers on
 * directly, and each value has the shape its use needs.
 */
import { LoadBalancerType } from "../shared/clusterConnection.js";
import { isUnknown, known } from "../shared/inputs.js";
import type { AddProblem } from "../shared/problems.js";
import { isOneOf, oneOf } from "../shared/validation.js";
import { AcmeEnvironment, type AksInferenceClusterArgs } from "./args.js";
import { LEAF_LABEL_PATTERN, MAX_LEAF_LABEL_LENGTH } from "./leafDomain.js";

const EMAIL = /^[^@\s]{1,64}@[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i;
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
  if (label !== undefined && !LEAF_LABEL_PATTERN.test(label))
    add(
      "tls.leafDomainLabel",
      `"${label}" is not a valid leaf domain label (3-${MAX_LEAF_LABEL_LENGTH} lowercase letters, digits and dashes, starting with a letter: the 6-character suffix must still fit a 63-character DNS label).`,
    );
  if (tls.leafDomainLabel !== undefined && known(args.egress?.firewall) === true)
    add(
      "tls.leafDomainLabel",
      "a leaf domain names the router's public IP, and with egress.firewall the nodes' default route sends the answers to its clients (Let's Encrypt's challenge included) through the firewall, which drops them (asymmetric routing); use sslCname with your own certificate behind an internal load balancer, or turn egress.firewall off.",
    );
  checkLeafCertificate(args, add);
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

/** The leaf certificate's settings: only with a leaf label, a usable email, a known environment. */
function checkLeafCertificate(args: AksInferenceClusterArgs, add: AddProblem): void {
  const cert = args.tls?.leafCertificate;
  if (!cert) return;
  if (args.tls?.leafDomainLabel === undefined)
    add(
      "tls.leafCertificate",
      "configures the certificate of a leaf domain; set tls.leafDomainLabel or remove tls.leafCertificate.",
    );
  const email = known(cert.email);
  if (email !== undefined && (email.length > 254 || !EMAIL.test(email)))
    add("tls.leafCertificate.email", `"${email}" is not an email address such as ops@contoso.com.`);
  const env = known(cert.acmeEnvironment);
  if (env !== undefined && !isOneOf(AcmeEnvironment, env))
    add(
      "tls.leafCertificate.acmeEnvironment",
      `"${env}" is not an ACME environment; use one of ${oneOf(AcmeEnvironment)}.`,
    );
  if (isUnknown(cert.installCertManager))
    add(
      "tls.leafCertificate.installCertManager",
      "must be a plain boolean, not an Output: it decides which resources exist.",
    );
}
