/** Public API of the twofold token emulator. */
export * from "./runtime.js";
export * from "./bytes.js";
export * from "./faults.js";
export * from "./oath/hotp.js";
export * from "./oath/status.js";
export * from "./oath/profiles.js";
export * from "./oath/nitrokey-otp.js";
export * from "./oath/state-file.js";
