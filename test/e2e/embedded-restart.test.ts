import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { totpCode } from "../../src/core/index.js";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { FactorState } from "../../src/gen/twofold/v1/types_pb.js";
import { connectClient } from "../support/clients.js";
import { PINNED_AT, pinnedTimeEnv } from "../support/pinned-time.js";
import { startServeProcess, type ServeProcess } from "./helpers.js";

const dataDir = mkdtempSync(join(tmpdir(), "twofold-e2e-embedded-"));
const running: ServeProcess[] = [];

afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

/** `twofold serve` with no DATABASE_URL: the embedded Postgres in `dataDir`. */
async function serveEmbedded(): Promise<ServeProcess> {
  const p = await startServeProcess({ TWOFOLD_DATA_DIR: dataDir, ...pinnedTimeEnv() }, 110_000);
  running.push(p);
  return p;
}

async function healthStatus(url: string): Promise<unknown> {
  const res = await fetch(`${url}/grpc.health.v1.Health/Check`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  return ((await res.json()) as { status?: unknown }).status;
}

/** The development admin key printed once on the first start, alone on its line. */
function devKeyFrom(stdout: string): string {
  const key = stdout.split("\n").find((l) => /^tf_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/.test(l));
  if (key === undefined) throw new Error(`no development key printed:\n${stdout}`);
  return key;
}

describe("twofold serve with the embedded default", () => {
  it("serves with no setup and keeps an enrolled factor across a restart", async () => {
    const first = await serveEmbedded();
    expect(await healthStatus(first.url)).toBe("SERVING");
    const apiKey = devKeyFrom(first.stdout());

    const enrolment = connectClient(EnrolmentService, first.url, { apiKey, httpVersion: "1.1" });
    const enrolled = await enrolment.enrol({ userId: "dave", label: "Phone", spec: { case: "totp", value: {} } });
    const secretHex = enrolled.enrolment.case === "otp" ? enrolled.enrolment.value.secretHex : "";
    const factorId = enrolled.factor?.id ?? "";
    const now = totpCode(Buffer.from(secretHex, "hex"), "SHA1", 6, 30, Math.floor(PINNED_AT.getTime() / 1000));
    expect((await enrolment.confirmEnrolment({ userId: "dave", factorId, proof: { case: "otpCode", value: now } })).confirmed).toBe(true);
    expect(await first.stop()).toBe(0);

    // The same data folder, a new process: the factor and the key are still there.
    const second = await serveEmbedded();
    expect(await healthStatus(second.url)).toBe("SERVING");
    const after = connectClient(EnrolmentService, second.url, { apiKey, httpVersion: "1.1" });
    const factors = await after.listFactors({ userId: "dave" });
    expect(factors.factors.map((f) => [f.id, f.label, f.state])).toEqual([[factorId, "Phone", FactorState.ACTIVE]]);
    expect(await second.stop()).toBe(0);
  }, 240_000);
});
