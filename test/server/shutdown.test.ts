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
});
