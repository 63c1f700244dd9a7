/** The WebAuthn relying party of each tenant, with the configuration's as default. */
export {
  defaultRelyingParty,
  relyingPartyFor,
  relyingPartyFromJson,
  relyingPartyJsonSql,
  relyingPartySettingsFor,
  relyingPartySettingsFromJson,
  relyingPartySettingsJsonSql,
  saveRelyingParty,
  type RelyingParty,
  type RelyingPartyRow,
  type RelyingPartySettings,
  type RelyingPartySettingsRow,
} from "./relying-party.js";
export { setRelyingParty } from "./set-relying-party.js";
export {
  MAX_ALLOWED_AAGUIDS,
  MAX_ALLOWED_ORIGINS,
  MAX_ATTESTATION_ROOT_BYTES,
  MAX_ATTESTATION_ROOTS,
  MAX_RP_NAME_CHARS,
  parseRelyingParty,
  type RelyingPartyInput,
} from "./validate-relying-party.js";
