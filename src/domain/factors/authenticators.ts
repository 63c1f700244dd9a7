/** The all-zero AAGUID: FIDO U2F keys (CTAP1) have none, and browsers may zero it for `attestation: "none"`. */
export const ZERO_AAGUID = "00000000-0000-0000-0000-000000000000";

/**
 * Authenticator models users recognise by name (docs/design.md "WebAuthn";
 * the AAGUIDs are those of Nitrokey's firmware). Anything else is shown by
 * AAGUID alone.
 */
const KNOWN: Readonly<Record<string, string>> = {
  "c39efba6-fcf4-4c3e-828b-fc4a6115a0ff": "Nitrokey FIDO2",
  "ec99db19-cd1f-4c06-a2a9-940f17a6a30b": "Nitrokey 3 xN",
  "2cd2f727-f6ca-44da-8f48-5c2e5da000a2": "Nitrokey 3 AM",
};

/**
 * The name ListFactors shows for an AAGUID: a known model, "FIDO U2F key"
 * for the zero AAGUID (a U2F key, or an authenticator whose browser hid its
 * model), else undefined.
 */
export function authenticatorName(aaguid: string): string | undefined {
  const id = aaguid.toLowerCase();
  if (id === ZERO_AAGUID) return "FIDO U2F key";
  return KNOWN[id];
}
