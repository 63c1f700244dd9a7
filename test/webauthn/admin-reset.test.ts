import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResetScope } from "../../src/gen/twofold/v1/admin_pb.js";
import { FactorKind, FailureReason } from "../../src/gen/twofold/v1/types_pb.js";
import { adminClient } from "../admin/admin-client.js";
import { createHarness, type Harness } from "../rpc/harness.js";
import { challenge2fa, enrolKey, fido2Key, login2fa, loginPasswordless, verifyAssertion } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.app.close();
});

describe("admin reset of WebAuthn factors", () => {
  it("removes one role's credentials, which then stop working, and frees the key to enrol again", async () => {
    const user = "lost-key@example.com";
    const admin = adminClient(h.app.deps, { tenant: "acme", keyId: "k-admin", role: "admin" });
    const second = await fido2Key();
    const pwl = await fido2Key("nitrokey-3-am");
    await enrolKey(h, user, second);
    await enrolKey(h, user, pwl, { passwordless: true });
    const old = await login2fa(h, user, second);
    expect(old.result.verified).toBe(true);

    const reset = await admin.resetSecondFactor({ userId: user, scope: ResetScope.WEBAUTHN });
    expect(reset.factorsRemoved).toBe(1);
    const listed = await h.enrolment().listFactors({ userId: user });
    expect(listed.factors.map((f) => f.kind)).toEqual([FactorKind.PASSWORDLESS]);

    const { transactionId, option } = await challenge2fa(h, user);
    expect(option).toBeUndefined();
    const refused = await verifyAssertion(h, transactionId, old.assertion);
    expect(refused.reason).toBe(FailureReason.UNKNOWN_FACTOR);
    // The passwordless key is untouched.
    expect((await loginPasswordless(h, pwl)).result.context?.userId).toBe(user);
    // The key the user found again enrols afresh.
    await enrolKey(h, user, second);
    expect((await login2fa(h, user, second)).result.verified).toBe(true);
  });
});
