/**
 * Key auth: `Authorization: Bearer <key>` against the service's primary and secondary
 * keys. Both keys are always compared (no early exit on the first match), each with
 * timingSafeEqual over its full length, so the time taken says nothing about which bytes
 * of a key matched. A credential of another length than a key is not compared byte by
 * byte (a same-size dummy compare runs instead): that reveals at most the key's length,
 * which is not secret (keys are generated at a fixed length) and narrows nothing an
 * attacker must guess. No digest per request: the presented credential is written into a
 * buffer kept for the purpose (the credential is checked to be b64token characters before
 * it gets here, so each character is one byte).
 *
 * A verifier is immutable: rotation builds a new one and the registry swaps the
 * reference in one assignment, so every request sees either the old pair or the new
 * pair, never a mix.
 */
import { timingSafeEqual } from "node:crypto";
import type { ServiceKeys } from "../contract/backend.js";

/** One key and a buffer of its length for the credential being checked. */
class KeyBytes {
  readonly key: Buffer;
  private readonly scratch: Buffer;

  constructor(key: string) {
    this.key = Buffer.from(key, "latin1");
    this.scratch = Buffer.alloc(this.key.length);
  }

  matches(presented: string): boolean {
    if (presented.length !== this.key.length) {
      timingSafeEqual(this.key, this.key);
      return false;
    }
    this.scratch.write(presented, 0, this.key.length, "latin1");
    return timingSafeEqual(this.scratch, this.key);
  }
}

export class KeyVerifier {
  private readonly primary: KeyBytes;
  private readonly secondary: KeyBytes;

  constructor(keys: ServiceKeys) {
    this.primary = new KeyBytes(keys.primaryKey);
    this.secondary = new KeyBytes(keys.secondaryKey);
  }

  /** `presented` must be b64token characters only (authenticate.ts checks). */
  verify(presented: string): boolean {
    const a = this.primary.matches(presented);
    const b = this.secondary.matches(presented);
    return a || b;
  }

  /** True when both verifiers accept exactly the same keys (lets upserts keep the old object). */
  sameKeysAs(other: KeyVerifier): boolean {
    return this.primary.key.equals(other.primary.key) && this.secondary.key.equals(other.secondary.key);
  }
}
