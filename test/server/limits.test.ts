import * as http2 from "node:http2";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFixtureServer, type FixtureServer } from "./fixture.js";

let fx: FixtureServer;
beforeAll(async () => {
  fx = await startFixtureServer();
});
afterAll(async () => {
  await fx.server.close();
});

describe("transport limits", () => {
  it("advertises the configured SETTINGS_MAX_CONCURRENT_STREAMS and a bounded header list", async () => {
    const session = http2.connect(fx.server.url);
    const settings = await new Promise<http2.Settings>((resolve) => session.once("remoteSettings", resolve));
    session.close();
    expect(settings.maxConcurrentStreams).toBe(100);
    expect(settings.maxHeaderListSize).toBe(32 * 1024);
  });

  it("serves HTTP/1.1 and HTTP/2 on the one port", async () => {
    const h1 = await fetch(`${fx.server.url}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(await h1.json()).toEqual({ status: "SERVING" });

    const session = http2.connect(fx.server.url);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Check", "content-type": "application/json" });
      req.on("response", (h) => resolve(h[":status"]));
      req.on("error", reject);
      req.end("{}");
    });
    session.close();
    expect(status).toBe(200);
  });

  it("answers an HTTP/1.1 request for an unknown path with 404", async () => {
    const res = await fetch(`${fx.server.url}/no.such.Service/Method`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(404);
  });

  it("closes a connection that sends garbage instead of HTTP", async () => {
    const socket = connect(fx.server.port, fx.server.host);
    socket.on("error", () => undefined);
    let answer = "";
    socket.on("data", (d: Buffer) => (answer += d.toString("latin1")));
    const closed = new Promise<boolean>((resolve) => {
      socket.on("close", () => resolve(true));
      setTimeout(() => resolve(false), 5000);
    });
    socket.on("connect", () => socket.write("\x00\x01\x02 not http at all\r\n\r\n"));
    expect(await closed).toBe(true);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    socket.destroy();
  });
});
