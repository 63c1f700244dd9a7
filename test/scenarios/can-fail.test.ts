import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScenarios } from "../../emulator/scenarios/runner.js";
import type { ScenarioResult } from "../../emulator/scenarios/types.js";
import { AdminService } from "../../src/gen/twofold/v1/admin_pb.js";
import { AppPasswordService } from "../../src/gen/twofold/v1/app_passwords_pb.js";
import { AuthenticationService, VerifyResponseSchema } from "../../src/gen/twofold/v1/authentication_pb.js";
import { ConfirmEnrolmentResponseSchema, EnrolmentService, EnrolResponseSchema } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { FailureReason } from "../../src/gen/twofold/v1/types_pb.js";
import type { Config } from "../../src/config/config.js";
import {
  liveDatabase,
  runnerOptions,
  sharedClock,
  startLiveServer,
  wrapService,
  type LiveDatabase,
  type ServiceWrapper,
} from "./live-service.js";

/**
 * Each scenario must be able to fail: run it against the real service with
 * one rule broken (a test-only wrapper around the real implementation, or a
 * configuration that loosens the rule) and require the failure it reports.
 */

const clock = sharedClock();
let db: LiveDatabase;

beforeAll(async () => {
  db = await liveDatabase(clock);
});

afterAll(async () => {
  await db?.close();
});

function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the real service has no ${what}`);
  return value;
}

async function runBroken(name: string, broken: { wrap?: ServiceWrapper; config?: Partial<Config> }): Promise<ScenarioResult> {
  const live = await startLiveServer(db, broken);
  try {
    const report = await runScenarios({ ...runnerOptions(live, db.adminKey, clock), scenarios: [name] });
    expect(report.results).toHaveLength(1);
    return report.results[0]!;
  } finally {
    await live.close();
  }
}

/** Answers verified for every refused proof the predicate picks. */
function acceptRefusedProofs(pick: (reason: FailureReason | undefined, proof: string | undefined) => boolean): ServiceWrapper {
  return wrapService(AuthenticationService, (real) => {
    const verify = defined(real.verify, "Verify");
    return {
      ...real,
      async verify(req, ctx) {
        const res = await verify(req, ctx);
        if (res.verified !== true && pick(res.reason, req.proof.case)) return { verified: true, context: { amr: ["otp"] } };
        return res;
      },
    };
  });
}

describe("a scenario fails when the service breaks its rule", () => {
  it("fails replayed-code-refused when the service accepts a replayed code", async () => {
    const result = await runBroken("replayed-code-refused", { wrap: acceptRefusedProofs((reason) => reason === FailureReason.REPLAYED) });
    expect(result.status).toBe("failed");
    expect(result.error).toContain("the same code sent again was accepted, expected a refusal with reason REPLAYED");
  });

  it("fails drift-70s-late when the window is wide enough to take a code 70 s late without a resync", async () => {
    const result = await runBroken("drift-70s-late", { config: { totpWindow: 3 } });
    expect(result.status).toBe("failed");
    expect(result.error).toContain("a code 70 s late was accepted, expected a refusal with reason RESYNC_NEEDED");
  });

  it("fails drift-70s-late when the service does not report the drift it learned", async () => {
    const wrap = wrapService(AuthenticationService, (real) => {
      const verify = defined(real.verify, "Verify");
      return {
        ...real,
        async verify(req, ctx) {
          const res = create(VerifyResponseSchema, await verify(req, ctx));
          if (res.context !== undefined) res.context.driftSeconds = 0;
          return res;
        },
      };
    });
    const result = await runBroken("drift-70s-late", { wrap });
    expect(result.status).toBe("failed");
    expect(result.error).toContain("after the resync the service reported drift_seconds 0, expected -60 or -90");
  });

  it("fails drift-70s-late when the service never re-learns a drift from two consecutive codes", async () => {
    const wrap = wrapService(AuthenticationService, (real) => {
      const verify = defined(real.verify, "Verify");
      return {
        ...real,
        async verify(req, ctx) {
          const res = create(VerifyResponseSchema, await verify(req, ctx));
          // Outside ±1 step around zero drift only a resync can have accepted it: refuse as a service without resync would.
          if (res.verified && (res.context?.driftSeconds ?? 0) < -30) return { verified: false, reason: FailureReason.RESYNC_NEEDED };
          return res;
        },
      };
    });
    const result = await runBroken("drift-70s-late", { wrap });
    expect(result.status).toBe("failed");
    expect(result.error).toContain("the late token's next code was refused (reason RESYNC_NEEDED), expected it to log in");
  });

  it("fails mail-client-app-password when the service accepts an app password outside its scopes", async () => {
    const wrap = wrapService(AppPasswordService, (real) => {
      const verifyAppPassword = defined(real.verifyAppPassword, "VerifyAppPassword");
      return {
        ...real,
        async verifyAppPassword(req, ctx) {
          const res = await verifyAppPassword(req, ctx);
          return res.reason === FailureReason.OUT_OF_SCOPE ? { ...res, verified: true, reason: FailureReason.UNSPECIFIED } : res;
        },
      };
    });
    const result = await runBroken("mail-client-app-password", { wrap });
    expect(result.status).toBe("failed");
    expect(result.error).toContain("the app password for caldav (not one of its scopes) was accepted");
  });

  it("fails fido-u2f-login when the service cannot log a U2F key in", async () => {
    const wrap = wrapService(AuthenticationService, (real) => {
      const verify = defined(real.verify, "Verify");
      return {
        ...real,
        async verify(req, ctx) {
          if (req.proof.case === "webauthn") return { verified: false, reason: FailureReason.INVALID_ASSERTION };
          return verify(req, ctx);
        },
      };
    });
    const result = await runBroken("fido-u2f-login", { wrap });
    expect(result.status).toBe("failed");
    expect(result.error).toContain("U2F login 1 was refused (reason INVALID_ASSERTION), expected it to log in");
  });

  it("fails pin-protected-otp-slot when the service does not say a hardware key was used", async () => {
    const wrap = wrapService(AuthenticationService, (real) => {
      const verify = defined(real.verify, "Verify");
      return {
        ...real,
        async verify(req, ctx) {
          const res = create(VerifyResponseSchema, await verify(req, ctx));
          if (res.context !== undefined) res.context.amr = res.context.amr.filter((v) => v !== "hwk");
          return res;
        },
      };
    });
    const result = await runBroken("pin-protected-otp-slot", { wrap });
    expect(result.status).toBe("failed");
    expect(result.error).toContain("expected it to include hwk for a Nitrokey slot");
  });

  it("fails lost-token-backup-code when the service accepts a spent backup code", async () => {
    const result = await runBroken("lost-token-backup-code", { wrap: acceptRefusedProofs((_, proof) => proof === "backupCode") });
    expect(result.status).toBe("failed");
    expect(result.error).toBe("a spent backup code logged in a second time");
  });

  it("fails hotp-desync-resync when the service takes a code far beyond its look-ahead at once", async () => {
    const result = await runBroken("hotp-desync-resync", { wrap: acceptRefusedProofs((reason) => reason === FailureReason.RESYNC_NEEDED) });
    expect(result.status).toBe("failed");
    expect(result.error).toContain("a code 50 presses ahead was accepted, expected a refusal with reason RESYNC_NEEDED");
  });

  it("fails cloned-key-refused when the service ignores a signature counter that did not move", async () => {
    const result = await runBroken("cloned-key-refused", { wrap: acceptRefusedProofs((reason) => reason === FailureReason.CLONE_SUSPECTED) });
    expect(result.status).toBe("failed");
    expect(result.error).toContain("the cloned key was accepted, expected a refusal with reason CLONE_SUSPECTED");
  });

  it("fails passwordless-after-2fa-refused when a second-factor credential logs in passwordless", async () => {
    const result = await runBroken("passwordless-after-2fa-refused", { wrap: acceptRefusedProofs((reason) => reason === FailureReason.WRONG_ROLE) });
    expect(result.status).toBe("failed");
    expect(result.error).toContain("a passwordless login signed with the second-factor credential was accepted");
  });

  it("fails passwordless-after-2fa-refused when the service does not exclude the user's credentials", async () => {
    const wrap = wrapService(EnrolmentService, (real) => {
      const enrol = defined(real.enrol, "Enrol");
      return {
        ...real,
        async enrol(req, ctx) {
          const res = create(EnrolResponseSchema, await enrol(req, ctx));
          if (res.enrolment.case === "webauthn") {
            const options = JSON.parse(res.enrolment.value.creationOptionsJson) as Record<string, unknown>;
            res.enrolment.value.creationOptionsJson = JSON.stringify({ ...options, excludeCredentials: [] });
          }
          return res;
        },
      };
    });
    const result = await runBroken("passwordless-after-2fa-refused", { wrap });
    expect(result.status).toBe("failed");
    expect(result.error).toBe("passwordless creation options do not exclude the user's second-factor credential");
  });

  it("fails nitrokey-fido2-login when the service loses the authenticator's AAGUID", async () => {
    const wrap = wrapService(EnrolmentService, (real) => {
      const confirmEnrolment = defined(real.confirmEnrolment, "ConfirmEnrolment");
      return {
        ...real,
        async confirmEnrolment(req, ctx) {
          const res = create(ConfirmEnrolmentResponseSchema, await confirmEnrolment(req, ctx));
          if (res.factor !== undefined) res.factor.aaguid = "";
          return res;
        },
      };
    });
    const result = await runBroken("nitrokey-fido2-login", { wrap });
    expect(result.status).toBe("failed");
    expect(result.error).toBe(`the factor's AAGUID is "", expected the Nitrokey FIDO2's c39efba6-fcf4-4c3e-828b-fc4a6115a0ff`);
  });

  it("fails nitrokey-pro-totp-login when the secret the service shows is not the one it checks", async () => {
    const wrap = wrapService(EnrolmentService, (real) => {
      const enrol = defined(real.enrol, "Enrol");
      return {
        ...real,
        async enrol(req, ctx) {
          const res = create(EnrolResponseSchema, await enrol(req, ctx));
          if (res.enrolment.case === "otp") {
            const shown = Buffer.from(res.enrolment.value.secretHex, "hex").map((b) => b ^ 0xff);
            res.enrolment.value.secretHex = Buffer.from(shown).toString("hex");
          }
          return res;
        },
      };
    });
    const result = await runBroken("nitrokey-pro-totp-login", { wrap });
    expect(result.status).toBe("failed");
    expect(result.error).toBe("ConfirmEnrolment refused the token's current code (reason WRONG_CODE)");
  });

  it("fails hardware-keys-only when the service does not keep the policy it was given", async () => {
    // SetProviderPolicy answers as if it stored the policy, and stores nothing.
    const wrap = wrapService(AdminService, (real) => ({
      ...real,
      setProviderPolicy(req) {
        return Promise.resolve({ policy: { disabledKinds: req.disabledKinds, totp: req.totp, appPasswords: req.appPasswords } });
      },
    }));
    const result = await runBroken("hardware-keys-only", { wrap });
    expect(result.status).toBe("failed");
    expect(result.error).toBe("Enrol accepted a software authenticator app although the tenant allows hardware tokens only");
  });
});
