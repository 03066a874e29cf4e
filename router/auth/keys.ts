/**
 * Key auth: `Authorization: Bearer <key>` against the service's primary and
 * secondary keys. Both digests are always compared (no early exit on the first
 * match) and compared with timingSafeEqual on fixed-length SHA-256 digests, so the
 * time taken says nothing about the keys. A verifier is immutable: rotation builds a
 * new one and the registry swaps the reference in one assignment, so every request
 * sees either the old pair or the new pair, never a mix.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { ServiceKeys } from "../contract/backend.js";

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

export class KeyVerifier {
  private readonly primary: Buffer;
  private readonly secondary: Buffer;

  constructor(keys: ServiceKeys) {
    this.primary = digest(keys.primaryKey);
    this.secondary = digest(keys.secondaryKey);
  }

  verify(presented: string): boolean {
    const d = digest(presented);
    const a = timingSafeEqual(d, this.primary);
    const b = timingSafeEqual(d, this.secondary);
    return a || b;
  }

  /** True when both verifiers accept exactly the same keys (lets upserts keep the old object). */
  sameKeysAs(other: KeyVerifier): boolean {
    return this.primary.equals(other.primary) && this.secondary.equals(other.secondary);
  }
}
