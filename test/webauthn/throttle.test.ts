import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { throttleState } from "../../src/domain/throttle/index.js";
import { FailureReason } from "../../src/gen/twofold/v1/types_pb.js";
import { createHarness, retryDelayMs, T0, type Harness } from "../rpc/harness.js";
import { browser, challenge2fa, challengePasswordless, enrolKey, fido2Key, login2fa, loginPasswordless, PIN, verifyAssertion } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.app.close();
});

describe("WebAuthn throttling", () => {
  it("throttles passwordless attempts per credential owner once identified, and a success resets it", async () => {
    h.clock.set(T0);
    const user = "pwl-throttled@example.com";
    const key = await fido2Key();
    await enrolKey(h, user, key, { passwordless: true });
    const liar = browser();
    liar.faults = { wrongChallenge: true };
    for (let i = 0; i < 5; i++) {
      const { result } = await loginPasswordless(h, key, liar);
      expect(result.reason).toBe(FailureReason.INVALID_ASSERTION);
    }
    expect((await throttleState(h.app.deps, "acme", user)).failures).toBe(5);
    expect((await throttleState(h.app.deps, "acme", "")).failures).toBe(0);
    // A good assertion now waits like any other proof: RESOURCE_EXHAUSTED, not evaluated.
    const { transactionId, requestOptions } = await challengePasswordless(h);
    const good = await browser().get(requestOptions, key, { pin: PIN });
    expect(await retryDelayMs(verifyAssertion(h, transactionId, good))).toBe(1000);
    h.clock.advance(1001);
    const ok = await verifyAssertion(h, transactionId, good);
    expect(ok.verified).toBe(true);
    expect(ok.context?.userId).toBe(user);
    expect((await throttleState(h.app.deps, "acme", user)).failures).toBe(0);
  });

  it("counts second-factor WebAuthn failures in the user's shared throttle", async () => {
    h.clock.set(T0);
    const user = "2fa-throttled@example.com";
    const key = await fido2Key();
    await enrolKey(h, user, key);
    key.faults = { bogusSignature: true };
    for (let i = 0; i < 5; i++) expect((await login2fa(h, user, key)).result.reason).toBe(FailureReason.INVALID_ASSERTION);
    key.faults = {};
    const { transactionId, requestOptions } = await challenge2fa(h, user);
    if (requestOptions === undefined) throw new Error("WebAuthn not offered");
    const good = await browser().get(requestOptions, key);
    expect(await retryDelayMs(verifyAssertion(h, transactionId, good))).toBe(1000);
  });
});
