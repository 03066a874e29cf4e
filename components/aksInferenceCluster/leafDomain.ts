/**
 * The leaf domain, as Azure ML makes it: the label the user picks plus 6 random
 * characters becomes the DNS label of the router's public IP, so the endpoint is
 * `<label><suffix>.<region>.cloudapp.azure.com`. The suffix is a RandomString kept in
 * state: the name survives every update, and a new label draws a new suffix (the label
 * is its keeper), so names do not collide between stacks that pick the same label.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { regionName } from "./egress.js";

/** Azure ML's `<label>######`: six random characters. */
export const LEAF_SUFFIX_LENGTH = 6;
/** A DNS label holds 63 characters; the suffix takes 6. */
export const MAX_LEAF_LABEL_LENGTH = 63 - LEAF_SUFFIX_LENGTH;
/**
 * What the user's part may be: starts with a letter, lowercase letters, digits and
 * dashes, 3 to 57 characters (it may end with a dash: the suffix ends the full label).
 */
export const LEAF_LABEL_PATTERN = new RegExp(`^[a-z][a-z0-9-]{2,${MAX_LEAF_LABEL_LENGTH - 1}}$`);
/** The domain Azure gives DNS labels of public IPs. */
export const CLOUDAPP_DOMAIN = "cloudapp.azure.com";

/** The host name of a full leaf label in a region: `<label>.<region>.cloudapp.azure.com`. */
export function leafDomainFqdn(fullLabel: string, location: string): string {
  return `${fullLabel}.${regionName(location)}.${CLOUDAPP_DOMAIN}`;
}

export interface LeafDomain {
  /** The DNS label on the router's public IP: the user's label and the suffix. */
  fullLabel: pulumi.Output<string>;
  /** `<label><suffix>.<region>.cloudapp.azure.com`. */
  fqdn: pulumi.Output<string>;
}

/**
 * Draws (or keeps) the suffix of `label` and names the endpoint in `location` (the
 * cluster's region: the public IP lives with the cluster).
 */
export function createLeafDomain(
  name: string,
  label: pulumi.Input<string>,
  location: pulumi.Input<string>,
  parent: pulumi.Resource,
): LeafDomain {
  const suffix = new random.RandomString(
    `${name}-leaf-suffix`,
    {
      length: LEAF_SUFFIX_LENGTH,
      lower: true,
      upper: false,
      numeric: true,
      special: false,
      keepers: { leafDomainLabel: label },
    },
    { parent },
  );
  const fullLabel = pulumi.interpolate`${label}${suffix.result}`;
  return { fullLabel, fqdn: pulumi.all([fullLabel, location]).apply(([l, loc]) => leafDomainFqdn(l, loc)) };
}
