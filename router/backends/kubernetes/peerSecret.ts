/**
 * The secret router pods share on the peer load endpoint, read from a file (AzuremlFe
 * mounts a Secret of the router namespace into router pods only). Re-read at most every
 * `refreshMs`, so a rotated Secret (which the kubelet rewrites in place) takes effect
 * without a restart; a file that turns unreadable or too short keeps the last good value.
 */
import { readFileSync } from "node:fs";
import { MIN_PEER_SECRET_LENGTH, ROUTER_ENV } from "../../contract/routerEnvironment.js";
import { RouterConfigError } from "../../config.js";
import type { Log } from "../../log.js";

function readSecret(path: string): string {
  const value = readFileSync(path, "utf8").trim();
  if (value.length < MIN_PEER_SECRET_LENGTH)
    throw new Error(
      `${path} holds ${value.length} characters; the peer secret needs at least ${MIN_PEER_SECRET_LENGTH}`,
    );
  return value;
}

export class FilePeerSecret {
  private value: string;
  private readAt: number;

  /** Throws a RouterConfigError when the file cannot be read or holds too short a secret. */
  constructor(
    private readonly path: string,
    private readonly log?: Log,
    private readonly refreshMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {
    try {
      this.value = readSecret(path);
    } catch (e) {
      throw new RouterConfigError([`${ROUTER_ENV.peerSecretFile}: ${(e as Error).message}`]);
    }
    this.readAt = this.now();
  }

  current(): string {
    if (this.now() - this.readAt >= this.refreshMs) {
      this.readAt = this.now();
      try {
        this.value = readSecret(this.path);
      } catch (e) {
        this.log?.warn({ err: (e as Error).message }, "peer secret file unreadable; keeping the last good secret");
      }
    }
    return this.value;
  }
}
