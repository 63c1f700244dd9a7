/** The WebAuthn relying party of each tenant, with the configuration's as default. */
export {
  defaultRelyingParty,
  relyingPartyFor,
  relyingPartyFromJson,
  relyingPartyJsonSql,
  saveRelyingParty,
  type RelyingParty,
  type RelyingPartyRow,
} from "./relying-party.js";
export { setRelyingParty } from "./set-relying-party.js";
export {
  MAX_ALLOWED_AAGUIDS,
  MAX_ALLOWED_ORIGINS,
  MAX_RP_NAME_CHARS,
  parseRelyingParty,
  type RelyingPartyInput,
} from "./validate-relying-party.js";
