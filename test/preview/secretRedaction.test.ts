// Secret redaction's two layers, pinned at the length boundary. Structural redaction
// replaces every secret-marked value whatever its length; the textual scrub (for a
// secret copied into a non-secret field) only acts on strings of 6 characters or more,
// since shorter ones ("true", "1", "admin") occur everywhere in a plan's text.
import { describe, expect, it } from "vitest";
import { REDACTED, redact, scrub, secretStrings } from "../../preview/secretRedaction.js";
import { SECRET_SIG, SECRET_VALUE_SIG } from "../../preview/secretMarker.js";

const secret = (value: unknown) => ({ [SECRET_SIG]: SECRET_VALUE_SIG, value });

describe("structural redaction", () => {
  it.each([
    ["an empty string", ""],
    ["one character", "x"],
    ["five characters", "pw123"],
    ["six characters", "pw1234"],
    ["a number", 42],
    ["an object", { user: "a", password: "b" }],
  ])("replaces a secret-marked %s whole", (_what, value) => {
    expect(redact({ spec: { password: secret(value), plain: "kept" } })).toEqual({
      spec: { password: REDACTED, plain: "kept" },
    });
  });
});

describe("textual scrub", () => {
  it("scrubs a secret of 6 characters and its JSON-escaped and base64 forms", () => {
    const strings = secretStrings([{ a: secret('pw"123') }]);
    expect(strings).toEqual(expect.arrayContaining(['pw"123', 'pw\\"123', Buffer.from('pw"123').toString("base64")]));
    const text = `copy=pw"123 json="pw\\"123" b64=${Buffer.from('pw"123').toString("base64")}`;
    expect(scrub(text, strings)).toBe(`copy=${REDACTED} json="${REDACTED}" b64=${REDACTED}`);
  });

  it("does not scrub a secret shorter than 6 characters from text (structural redaction still hides it)", () => {
    const roots = [{ a: secret("pw123"), n: secret(12345) }];
    expect(secretStrings(roots)).toEqual([]);
    // A 5-character secret copied into a non-secret field by mistake shows in the text: the known limit.
    expect(scrub("copy=pw123", secretStrings(roots))).toBe("copy=pw123");
    expect(JSON.stringify(redact(roots))).not.toContain("pw123");
  });

  it("takes secret config values of 6 characters or more, and replaces the longest match first", () => {
    const strings = secretStrings([], ["short", "abcdef", "abcdefgh"]);
    expect(strings).not.toContain("short");
    expect(strings.indexOf("abcdefgh")).toBeLessThan(strings.indexOf("abcdef"));
    expect(scrub("x=abcdefgh", strings)).toBe(`x=${REDACTED}`);
  });
});
