import { describe, expect, it } from "vitest";
import { decideCounter, webauthnAmr } from "../../src/domain/webauthn/index.js";

describe("decideCounter", () => {
  it("accepts any increase, however large", () => {
    expect(decideCounter(0, 1)).toBe("accept");
    expect(decideCounter(17, 18)).toBe("accept");
    expect(decideCounter(17, 273)).toBe("accept");
    expect(decideCounter(5, 2 ** 32 - 1)).toBe("accept");
  });

  it("accepts an authenticator that keeps no counter (both zero)", () => {
    expect(decideCounter(0, 0)).toBe("accept");
  });

  it("suspects a clone when the counter stays or goes back", () => {
    expect(decideCounter(17, 17)).toBe("clone_suspected");
    expect(decideCounter(17, 3)).toBe("clone_suspected");
    expect(decideCounter(17, 0)).toBe("clone_suspected");
  });
});

describe("webauthnAmr", () => {
  it("reports hwk, pin when the user was verified, and mfa when two factors were combined", () => {
    expect(webauthnAmr("webauthn", false)).toEqual(["hwk", "mfa"]);
    expect(webauthnAmr("webauthn", true)).toEqual(["hwk", "pin", "mfa"]);
    expect(webauthnAmr("passwordless", true)).toEqual(["hwk", "pin", "mfa"]);
    expect(webauthnAmr("passwordless", false)).toEqual(["hwk"]);
  });
});
