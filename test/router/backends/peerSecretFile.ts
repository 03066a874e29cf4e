/** A peer secret file, as AzuremlFe's mounted Secret provides it, in a fresh temporary folder. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const PEER_SECRET = "peer-secret-0123456789abcdef0123456789abcdef";

export function peerSecretFile(secret = PEER_SECRET): string {
  const file = join(mkdtempSync(join(tmpdir(), "aksml-peer-")), "secret");
  writeFileSync(file, `${secret}\n`);
  return file;
}
