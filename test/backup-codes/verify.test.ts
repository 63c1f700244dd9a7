import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FailureReason, Provider, Purpose } from "../../src/gen/twofold/v1/types_pb.js";
import { createHarness, errorOf, invalidFields, retryDelayMs, serviceCaller, type Harness } from "../rpc/harness.js";
import { clientsFor } from "./harness.js";

/** Backup codes through AuthenticationService: the login flow wired to this folder's provider. */

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});

/** Ten fresh codes for a user of the test's own, so the tests hold in any order. */
async function codesFor(userId: string): Promise<string[]> {
  return (await clientsFor(h.app.deps, serviceCaller("acme")).backup.generateBackupCodes({ userId, count: 10 })).codes;
}
afterAll(async () => h.app.close());

function backupProof(code: string) {
  return { case: "backupCode" as const, value: { code } };
}

async function open(userId: string): Promise<string> {
  return (await h.auth().challenge({ userId, purpose: Purpose.SECOND_FACTOR })).transactionId;
}

describe("Verify with a backup code", () => {
  it("offers backup codes at Challenge without making a second factor required", async () => {
    await codesFor("offered");
    const ch = await h.auth().challenge({ userId: "offered", purpose: Purpose.SECOND_FACTOR });
    expect(ch.secondFactorRequired).toBe(false);
    expect(ch.providers.map((p) => p.provider)).toEqual([Provider.BACKUP_CODE]);
  });

  it("verifies a typed code and reports the codes left", async () => {
    const codes = await codesFor("typed");
    const res = await h.auth().verify({ transactionId: await open("typed"), proof: backupProof(codes[0]?.toLowerCase() ?? "") });
    expect(res.verified).toBe(true);
    expect(res.context?.provider).toBe(Provider.BACKUP_CODE);
    expect(res.context?.backupCodesRemaining).toBe(9);
    expect(res.context?.amr).toEqual(["otp", "mfa"]);
  });

  it("refuses a spent code as a wrong code and leaves the transaction open for another", async () => {
    const codes = await codesFor("spender");
    expect((await h.auth().verify({ transactionId: await open("spender"), proof: backupProof(codes[0] ?? "") })).verified).toBe(true);
    const tx = await open("spender");
    expect(await h.auth().verify({ transactionId: tx, proof: backupProof(codes[0] ?? "") })).toMatchObject({
      verified: false,
      reason: FailureReason.WRONG_CODE,
    });
    const next = await h.auth().verify({ transactionId: tx, proof: backupProof(codes[1] ?? "") });
    expect(next.context?.backupCodesRemaining).toBe(8);
    expect((await errorOf(h.auth().verify({ transactionId: tx, proof: backupProof(codes[2] ?? "") }))).code).toBe(Code.FailedPrecondition);
  });

  it("answers INVALID_ARGUMENT naming the code only for empty or control-character input", async () => {
    await codesFor("odd-input");
    const tx = await open("odd-input");
    expect(await invalidFields(h.auth().verify({ transactionId: tx, proof: backupProof("") }))).toEqual(["proof.backup_code.code"]);
    expect(await invalidFields(h.auth().verify({ transactionId: tx, proof: backupProof("ABCD\u0000") }))).toEqual(["proof.backup_code.code"]);
    expect((await h.auth().verify({ transactionId: tx, proof: backupProof("not a code") })).reason).toBe(FailureReason.WRONG_CODE);
  });

  it("counts wrong backup codes toward the user's shared throttle", async () => {
    const { codes: mine } = await clientsFor(h.app.deps, serviceCaller("acme")).backup.generateBackupCodes({ userId: "guesser", count: 1 });
    for (let i = 0; i < 5; i++) {
      const res = await h.auth().verify({ transactionId: await open("guesser"), proof: backupProof("0000-0000-0000-0000") });
      expect(res.reason).toBe(FailureReason.WRONG_CODE);
    }
    expect(await retryDelayMs(h.auth().verify({ transactionId: await open("guesser"), proof: backupProof(mine[0] ?? "") }))).toBe(1000);
    h.clock.advance(1000);
    expect((await h.auth().verify({ transactionId: await open("guesser"), proof: backupProof(mine[0] ?? "") })).verified).toBe(true);
  });
});
