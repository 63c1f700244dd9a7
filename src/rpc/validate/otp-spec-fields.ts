import type { OtpAlgorithm as AlgorithmName } from "../../core/index.js";
import type { TokenProfile as ProfileName } from "../../domain/factors/index.js";
import { OtpAlgorithm, TokenProfile } from "../../gen/twofold/v1/types_pb.js";
import { checkEnum, checkText, MAX_ACCOUNT_NAME_CHARS, MAX_ISSUER_CHARS, type Violations } from "./fields.js";

const ALGORITHMS: Record<number, AlgorithmName | undefined> = {
  [OtpAlgorithm.UNSPECIFIED]: undefined,
  [OtpAlgorithm.SHA1]: "SHA1",
  [OtpAlgorithm.SHA256]: "SHA256",
  [OtpAlgorithm.SHA512]: "SHA512",
};
const PROFILES: Record<number, ProfileName> = {
  [TokenProfile.UNSPECIFIED]: "software",
  [TokenProfile.GENERIC]: "generic",
  [TokenProfile.NITROKEY_PRO]: "nitrokey_pro",
  [TokenProfile.NITROKEY_STORAGE]: "nitrokey_storage",
};
const KNOWN_ALGORITHMS = Object.keys(ALGORITHMS).map(Number);
const KNOWN_PROFILES = Object.keys(PROFILES).map(Number);

/** The wire fields a TotpSpec and an HotpSpec share. */
export interface OtpSpecFields {
  algorithm: OtpAlgorithm;
  tokenProfile: TokenProfile;
  issuer: string;
  accountName: string;
}

/**
 * Checks the fields TOTP and HOTP specs share, the same way for both (enums
 * known, issuer and account name short and colon-free), naming them under
 * `prefix` (`spec.totp` or `spec.hotp`), and maps the enums to the domain's
 * names. `enumsOk` tells the caller whether profile rules can be judged yet.
 */
export function checkOtpSpecFields(
  v: Violations,
  prefix: string,
  s: OtpSpecFields,
): { algorithm: AlgorithmName | undefined; tokenProfile: ProfileName; enumsOk: boolean } {
  checkEnum(v, `${prefix}.algorithm`, s.algorithm, KNOWN_ALGORITHMS);
  checkEnum(v, `${prefix}.token_profile`, s.tokenProfile, KNOWN_PROFILES);
  checkText(v, `${prefix}.issuer`, s.issuer, { min: 0, max: MAX_ISSUER_CHARS, noColon: true });
  checkText(v, `${prefix}.account_name`, s.accountName, { min: 0, max: MAX_ACCOUNT_NAME_CHARS, noColon: true });
  return {
    algorithm: ALGORITHMS[s.algorithm],
    tokenProfile: PROFILES[s.tokenProfile] ?? "software",
    enumsOk: KNOWN_ALGORITHMS.includes(s.algorithm) && KNOWN_PROFILES.includes(s.tokenProfile),
  };
}
