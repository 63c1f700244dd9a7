import { describe, expect, it } from "vitest";
import { helpText } from "../../emulator/cli.js";
import { FAULT_CATALOGUE, FIDO_PROFILES, OTP_PROFILES } from "../../emulator/index.js";

describe("twofold-emulator --help", () => {
  it("lists every token profile and every fault by name", () => {
    const text = helpText();
    for (const id of [...Object.keys(OTP_PROFILES), ...Object.keys(FIDO_PROFILES)]) expect(text).toContain(`  ${id} `);
    for (const fault of FAULT_CATALOGUE) expect(text).toContain(`  ${fault.name} `);
    expect(text).toContain("nitrokey-fido-u2f");
  });
});
