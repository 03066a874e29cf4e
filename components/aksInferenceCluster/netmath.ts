/** Small IPv4 helpers for checking CIDRs and addresses before Azure does. */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(value: string): boolean {
  return IPV4.test(value);
}

export function isIpv4Cidr(value: string): boolean {
  const [ip, bits, ...rest] = value.split("/");
  if (rest.length || bits === undefined || !isIpv4(ip) || !/^\d{1,2}$/.test(bits)) return false;
  return Number(bits) <= 32;
}

function toInt(ip: string): number {
  return ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function range(cidr: string): [start: number, end: number] {
  const [ip, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(toInt(ip) / size) * size;
  return [start, start + size - 1];
}

/** Whether `ip` lies inside `cidr` (both assumed valid). */
export function ipInCidr(ip: string, cidr: string): boolean {
  const [start, end] = range(cidr);
  const n = toInt(ip);
  return n >= start && n <= end;
}

/** Whether `inner` lies entirely inside `outer` (both assumed valid). */
export function cidrWithin(inner: string, outer: string): boolean {
  const [s1, e1] = range(inner);
  const [s2, e2] = range(outer);
  return s1 >= s2 && e1 <= e2;
}

/** Whether two CIDRs share any address (both assumed valid). */
export function cidrsOverlap(a: string, b: string): boolean {
  const [s1, e1] = range(a);
  const [s2, e2] = range(b);
  return s1 <= e2 && s2 <= e1;
}

/** Prefix length of a valid CIDR. */
export function prefixLength(cidr: string): number {
  return Number(cidr.split("/")[1]);
}
