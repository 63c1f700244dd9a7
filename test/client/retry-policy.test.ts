import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { DescService } from "@bufbuild/protobuf";
import { mayRetry, procedureKinds, v1 } from "../../src/client/index.js";
import { retryDelayMs, retrySettings } from "../../src/client/retry-policy.js";
import { Health } from "../../src/gen/grpc/health/v1/health_pb.js";

describe("the client's retry policy", () => {
  it("classifies every method of every twofold.v1 service, and health", () => {
    const services = (Object.values(v1) as unknown[]).filter((x): x is DescService => typeof x === "object" && x !== null && "kind" in x && x.kind === "service");
    expect(services.map((s) => s.name).sort()).toEqual(["AdminService", "AppPasswordService", "AuthenticationService", "BackupCodeService", "EnrolmentService"]);
    const procedures = [...services, Health].flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`));
    expect(procedures.length).toBeGreaterThan(20);
    expect(procedures.filter((p) => procedureKinds[p] === undefined)).toEqual([]);
    expect(Object.keys(procedureKinds).sort()).toEqual([...procedures].sort());
  });

  it("retries only reads, and only on UNAVAILABLE", () => {
    const allCodes = Object.values(Code).filter((c): c is Code => typeof c === "number");
    expect(allCodes.filter((c) => mayRetry("twofold.v1.EnrolmentService/ListFactors", c))).toEqual([Code.Unavailable]);
    for (const verify of ["twofold.v1.AuthenticationService/Verify", "twofold.v1.AppPasswordService/VerifyAppPassword"]) {
      expect(allCodes.filter((c) => mayRetry(verify, c))).toEqual([]);
    }
    expect(mayRetry("twofold.v1.SomeFutureService/Anything", Code.Unavailable)).toBe(false);
  });

  it("waits with full jitter under a doubling ceiling, capped", () => {
    const s = retrySettings({ initialDelayMs: 50, maxDelayMs: 300 });
    expect([1, 2, 3, 4].map((n) => retryDelayMs(s, n, () => 0.999999))).toEqual([49, 99, 199, 299]);
    expect(retryDelayMs(s, 3, () => 0)).toBe(0);
    expect(retrySettings(false).maxAttempts).toBe(1);
    expect(retrySettings(undefined)).toEqual({ maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 1000 });
  });
});
