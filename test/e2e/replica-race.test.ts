import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode } from "../../src/core/index.js";
import { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import { BackupCodeService } from "../../src/gen/twofold/v1/backup_codes_pb.js";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { FailureReason } from "../../src/gen/twofold/v1/types_pb.js";
import { createTestApiKey, createTestApp, type TestApp } from "../support/app.js";
import { connectClient } from "../support/clients.js";
import { PINNED_AT, pinnedTimeEnv } from "../support/pinned-time.js";
import { serveEnvFor, startServeProcess, type ServeProcess } from "./helpers.js";

const ROUNDS = 10;
const REQUESTS_PER_ROUND = 10;

let app: TestApp;
let replicas: ServeProcess[] = [];
let apiKey = "";

beforeAll(async () => {
  app = await createTestApp();
  apiKey = await createTestApiKey(app, "acme", "service");
  // Both replicas' clocks stand still at PINNED_AT, so the codes below fall in known steps.
  const env = { ...serveEnvFor(app), ...pinnedTimeEnv() };
  // Two `twofold serve` processes on one database, as two replicas behind a load balancer.
  const started = await Promise.allSettled([startServeProcess(env), startServeProcess(env)]);
  replicas = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed !== undefined) throw failed.reason;
}, 120_000);
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await app?.close();
});

/** The SHA1/6/30 code an authenticator shows `stepOffset` steps from the replicas' pinned clock. */
function codeNow(secretHex: string, stepOffset = 0): string {
  return totpCode(Buffer.from(secretHex, "hex"), "SHA1", 6, 30, Math.floor(PINNED_AT.getTime() / 1000) + stepOffset * 30);
}

type Outcome = "verified" | "replayed" | "throttled" | string;

async function outcomeOf(call: Promise<{ verified: boolean; reason: FailureReason }>): Promise<Outcome> {
  try {
    const res = await call;
    if (res.verified) return "verified";
    return res.reason === FailureReason.REPLAYED ? "replayed" : `refused:${FailureReason[res.reason]}`;
  } catch (err) {
    const e = ConnectError.from(err);
    // The per-user throttle may make late attempts wait without evaluating them (docs/design.md "Login flow").
    return e.code === Code.ResourceExhausted ? "throttled" : `error:${e.code}`;
  }
}

describe("two server processes on one database", () => {
  it("accept a code exactly once when both are sent it at the same moment, round after round", async () => {
    const [a, b] = replicas;
    if (a === undefined || b === undefined) throw new Error("replicas did not start");
    const enrolment = connectClient(EnrolmentService, a.url, { apiKey });
    const auth: Client<typeof AuthenticationService>[] = replicas.map((r) => connectClient(AuthenticationService, r.url, { apiKey }));

    const rounds: Outcome[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const userId = `racer-${round}`;
      // A fresh user with a confirmed factor; the proving code burns the current step.
      const enrolled = await enrolment.enrol({ userId, label: "Phone", spec: { case: "totp", value: {} } });
      const secretHex = enrolled.enrolment.case === "otp" ? enrolled.enrolment.value.secretHex : "";
      const confirmed = await enrolment.confirmEnrolment({
        userId,
        factorId: enrolled.factor?.id ?? "",
        proof: { case: "otpCode", value: codeNow(secretHex) },
      });
      expect(confirmed.confirmed).toBe(true);

      // Each request has its own transaction, opened on the replica that will verify it,
      // so only the factor's replay guard stands between the code and a second success.
      const target = (i: number): Client<typeof AuthenticationService> => {
        const client = auth[i % auth.length];
        if (client === undefined) throw new Error("no replica client");
        return client;
      };
      const transactions = await Promise.all(
        Array.from({ length: REQUESTS_PER_ROUND }, async (_, i) => (await target(i).challenge({ userId })).transactionId),
      );
      // The next step's code: inside the ±1 window, and newer than the step the confirmation burnt.
      const code = codeNow(secretHex, 1);
      const outcomes = await Promise.all(
        transactions.map((transactionId, i) =>
          outcomeOf(target(i).verify({ transactionId, proof: { case: "otp", value: { code, factorId: "" } } })),
        ),
      );
      rounds.push(outcomes);
    }

    for (const outcomes of rounds) {
      expect(outcomes.filter((o) => o === "verified")).toHaveLength(1);
      expect(outcomes.every((o) => o === "verified" || o === "replayed" || o === "throttled")).toBe(true);
      // At least five attempts are admitted before the throttle can act, so the replay guard refused at least four.
      expect(outcomes.filter((o) => o === "replayed").length).toBeGreaterThanOrEqual(4);
    }
  }, 60_000);

  it("redeem a backup code exactly once when it is sent 20 times at once through both", async () => {
    const [a] = replicas;
    if (a === undefined) throw new Error("replicas did not start");
    const userId = "lost-phone";
    const { codes } = await connectClient(BackupCodeService, a.url, { apiKey }).generateBackupCodes({ userId, count: 10 });
    const code = codes[0] ?? "";
    const auth = replicas.map((r) => connectClient(AuthenticationService, r.url, { apiKey }));
    const transactions = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => ({ i, id: (await auth[i % 2]!.challenge({ userId })).transactionId })),
    );
    const outcomes = await Promise.all(
      transactions.map(({ i, id }) => outcomeOf(auth[i % 2]!.verify({ transactionId: id, proof: { case: "backupCode", value: { code } } }))),
    );
    expect(outcomes.filter((o) => o === "verified")).toHaveLength(1);
    expect(outcomes.every((o) => o === "verified" || o === "refused:WRONG_CODE" || o === "throttled")).toBe(true);
    const status = await connectClient(BackupCodeService, a.url, { apiKey }).getBackupCodeStatus({ userId });
    expect(status.remaining).toBe(9);
  }, 60_000);
});
