/** The WebAuthn relying party of each tenant, with the configuration's as default. */
export {
  relyingPartyFor,
  relyingPartyFromJson,
  relyingPartyJsonSql,
  relyingPartySettingsFor,
  relyingPartySettingsFromJson,
  relyingPartySettingsJsonSql,
  type RelyingParty,
  type RelyingPartyRow,
  type RelyingPartySettings,
  type RelyingPartySettingsRow,
} from "./relying-party.js";
export { setRelyingParty } from "./set-relying-party.js";
export {
  parseRelyingParty,
  type RelyingPartyInput,
} from "./validate-relying-party.js";
