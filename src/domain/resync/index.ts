/** ResyncFactor: two consecutive codes re-align a hardware OTP token's counter or clock. */
export { findResyncPair, totpResyncRange, type PairFound } from "./find-pair.js";
export { resyncFactor, type ResyncFactorInput, type ResyncFactorResult } from "./resync-factor.js";
export { burnResyncPair, type ResyncBurn } from "./resync-store.js";
