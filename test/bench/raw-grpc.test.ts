import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { openClients, type LoadClients } from "../../bench/load/clients.js";
import { createTestApiKey, createTestApp, type TestApp } from "../support/app.js";
import { startInProcess, type InProcessServer } from "../e2e/helpers.js";

/**
 * The load generator's hand-framed gRPC client against the real server: a
 * decoded answer, a gRPC status carried as a ConnectError with its code, and
 * the same client on the wire as grpc-js would be (the server cannot tell).
 */
let app: TestApp;
let srv: InProcessServer;
let apiKey = "";

beforeAll(async () => {
  app = await createTestApp();
  srv = await startInProcess(app.deps);
  apiKey = await createTestApiKey(app, "acme", "service");
});

afterAll(async () => {
  await srv?.server.close();
  await app?.close();
});

function open(key: string): LoadClients {
  return openClients({ target: srv.address, apiKey: key, protocol: "grpc", grpcLibrary: "raw" });
}

describe("raw gRPC client of the load generator", () => {
  it("decodes a unary answer", async () => {
    const c = open(apiKey);
    try {
      const res = (await c.enrolment.listFactors({ userId: "raw-user" })) as { factors: unknown[] };
      expect(res.factors).toEqual([]);
    } finally {
      c.close();
    }
  });

  it("carries a refused call's gRPC status as a ConnectError code", async () => {
    const c = open("tf_wrong_key");
    try {
      const err = await c.enrolment.listFactors({ userId: "raw-user" }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe(Code.Unauthenticated);
    } finally {
      c.close();
    }
  });

  it("names the field of bad input with INVALID_ARGUMENT", async () => {
    const c = open(apiKey);
    try {
      const err = (await c.enrolment.listFactors({ userId: "" }).catch((e: unknown) => e)) as ConnectError;
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toMatch(/user_id/);
    } finally {
      c.close();
    }
  });
});
