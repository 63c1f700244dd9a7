import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { connectClient } from "../support/clients.js";
import { createGrpcClient } from "../support/grpc-client.js";
import { serviceKey, startFixtureServer } from "./fixture.js";

describe("close()", () => {
  it("lets calls in flight finish, then stops accepting connections", async () => {
    const fx = await startFixtureServer();
    const grpcClient = createGrpcClient(EnrolmentService, fx.address);
    const connect = connectClient(EnrolmentService, fx.server.url, { httpVersion: "1.1", apiKey: serviceKey });
    // Connections first, so the calls below are on the wire when close() starts.
    await grpcClient.unary("listFactors", { userId: "warm" }, { apiKey: serviceKey });
    await connect.listFactors({ userId: "warm" });
    const grpcCall = grpcClient.unary("listFactors", { userId: "pause" }, { apiKey: serviceKey });
    const connectCall = connect.listFactors({ userId: "pause" });
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const closed = fx.server.close();
    const [viaGrpc, viaConnect] = await Promise.all([grpcCall, connectCall]);
    await closed;
    grpcClient.close();
    expect(viaGrpc.factors[0]?.id).toBe("paused");
    expect(viaConnect.factors[0]?.id).toBe("paused");
    expect(Date.now() - started).toBeLessThan(5000);
    await expect(fetch(`${fx.server.url}/`)).rejects.toThrow();
  });

  it("cuts calls that outlive the grace period, so close() cannot hang", async () => {
    const fx = await startFixtureServer({ shutdownGraceMs: 200 });
    const client = createGrpcClient(EnrolmentService, fx.address);
    await client.unary("listFactors", { userId: "warm" }, { apiKey: serviceKey });
    const slow = client.unary("listFactors", { userId: "slow" }, { apiKey: serviceKey }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await fx.server.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await slow).toMatchObject({ code: grpc.status.UNAVAILABLE });
    client.close();
  });
});
