import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { openClients, type LoadClients } from "../../bench/load/clients.js";
import { createTestApiKey, createTestApp, type TestApp } from "../support/app.js";
import { startInProcess, type InProcessServer } from "../e2e/helpers.js";

/**
 * The load generator's hand-framed gRPC client against the real server, over
 * either HTTP/2 client: a decoded answer, a gRPC status carried as a
 * ConnectError with its code, and the field named in a refusal.
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

// raw: the generator's own HTTP/2 connection (lean-h2.ts); node-http2: the same framing on node:http2.
describe.each(["raw", "node-http2"] as const)("hand-framed gRPC client of the load generator (%s)", (grpcLibrary) => {
  const open = (key: string): LoadClients => openClients({ target: srv.address, apiKey: key, protocol: "grpc", grpcLibrary });

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
