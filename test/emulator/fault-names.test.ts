import { describe, expect, it } from "vitest";
import { FAULT_CATALOGUE, NitrokeyOtpDevice, OtpStatus, applyFaultNames } from "../../emulator/index.js";

describe("named faults", () => {
  it("parses every catalogue entry into an option of its own target", () => {
    for (const entry of FAULT_CATALOGUE) {
      const parsed = applyFaultNames([entry.name]);
      const touched = (Object.keys(parsed) as (keyof typeof parsed)[]).filter((k) => Object.keys(parsed[k]).length > 0);
      expect(touched, entry.name).toEqual([entry.target]);
    }
  });

  it("reads values after an equals sign and refuses unknown names or bad numbers", () => {
    const parsed = applyFaultNames(["clock-skew=-45", "hotp-desync=3", "wrong-origin=https://phish.example", "counter-backwards", "cross-origin"]);
    expect(parsed.otp).toEqual({ clockSkewSeconds: -45, hotpDesyncSteps: 3 });
    expect(parsed.client).toEqual({ wrongOrigin: "https://phish.example", topOrigin: "https://embedder.example" });
    expect(parsed.authenticator).toEqual({ counter: "backwards" });
    expect(() => applyFaultNames(["no-such-fault"])).toThrow(/unknown fault/);
    expect(() => applyFaultNames(["clock-skew=soon"])).toThrow(/number/);
  });

  it("applies parsed OTP faults to a token, host behaviour and device state alike", () => {
    const device = new NitrokeyOtpDevice();
    device.adminAuthenticate("12345678", "t");
    device.writeTotpSlot(0, { name: "t", secretHex: "00".repeat(20) }, "t");
    device.applyFaults(applyFaultNames(["clock-skew=30", "pin-protected-otp"]).otp);
    expect(device.faults).toEqual({ clockSkewSeconds: 30 });
    device.setTime(100);
    expect(device.getDeviceTime()).toBe(130);
    expect(() => device.getTotpCode(0)).toThrow(expect.objectContaining({ status: OtpStatus.NOT_AUTHORIZED }));
  });
});
