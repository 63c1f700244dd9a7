import { describe, expect, it } from "vitest";
import { bearerToken } from "../../src/server/auth.js";
import { grpcDeadlineMs } from "../../src/server/grpc-timeout.js";
import { requestIdFrom } from "../../src/server/request-id.js";

describe("grpcDeadlineMs", () => {
  it.each([
    ["1H", 3_600_000],
    ["2M", 120_000],
    ["3S", 3000],
    ["250m", 250],
    ["1500u", 1.5],
    ["2000000n", 2],
  ])("reads %s as %f ms", (header, ms) => {
    expect(grpcDeadlineMs(header, 10_000_000)).toBe(ms);
  });

  it("uses the server's default when the caller sends none", () => {
    expect(grpcDeadlineMs(undefined, 10_000)).toBe(10_000);
  });

  it("caps a longer caller deadline at the server's", () => {
    expect(grpcDeadlineMs("99999999H", 10_000)).toBe(10_000);
  });

  it.each(["", "S", "10", "10s", "123456789S", "-1S", "1.5S", " 1S"])("refuses the malformed value %j", (header) => {
    expect(grpcDeadlineMs(header, 10_000)).toBeUndefined();
  });
});

describe("bearerToken", () => {
  it("takes the token of a Bearer header, whatever the scheme's case", () => {
    expect(bearerToken("Bearer tf_abc")).toBe("tf_abc");
    expect(bearerToken("bearer tf_abc")).toBe("tf_abc");
  });

  it.each([undefined, null, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer tf abc", "Bearer tf\u0000abc", `Bearer ${"x".repeat(600)}`])(
    "finds no token in %j",
    (header) => {
      expect(bearerToken(header)).toBeUndefined();
    },
  );
});

describe("requestIdFrom", () => {
  it("keeps a plain caller-supplied id", () => {
    expect(requestIdFrom("req-2026.11:28_a")).toBe("req-2026.11:28_a");
  });

  it.each(["", "has space", "new\nline", "x".repeat(129), "<script>"])("replaces %j with a fresh UUID", (header) => {
    expect(requestIdFrom(header)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
