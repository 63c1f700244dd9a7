import type { CoseAlgorithmId } from "./cose.js";

/** How a device's global signature counter moves per signature. */
export type CounterMode = "random-1-16" | "plus-one" | "random-1-256";

/** What distinguishes one FIDO2 authenticator model from another. */
export interface FidoProfile {
  readonly id: FidoProfileId;
  readonly name: string;
  readonly aaguid: string;
  /** In order of preference. */
  readonly algorithms: readonly CoseAlgorithmId[];
  readonly residentKeyCapacity: number;
  readonly counterMode: CounterMode;
  readonly versions: readonly string[];
  readonly transports: readonly ("usb" | "nfc")[];
  /** CTAP2.1 makeCredUvNotRqd: non-discoverable credentials without the PIN even when one is set. */
  readonly makeCredUvNotRequired: boolean;
  readonly pinRetries: number;
  readonly pinRetriesPerBoot: number;
}

/** The FIDO2 profiles on offer. */
export type FidoProfileId = "nitrokey-fido2" | "nitrokey-3-xn" | "nitrokey-3-xn-legacy-counter" | "nitrokey-3-am";

const PIN = { pinRetries: 8, pinRetriesPerBoot: 3 } as const;

/** What every Nitrokey 3 shares; the variants differ in AAGUID, name and counter. */
const NITROKEY_3 = {
  ...PIN,
  algorithms: [-7, -8],
  residentKeyCapacity: 100,
  versions: ["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE"],
  transports: ["nfc", "usb"],
  makeCredUvNotRequired: true,
} as const;

/** Every FIDO2 profile by id (AAGUIDs from Nitrokey's metadata). */
export const FIDO_PROFILES: Readonly<Record<FidoProfileId, FidoProfile>> = {
  "nitrokey-fido2": {
    ...PIN,
    id: "nitrokey-fido2",
    name: "Nitrokey FIDO2",
    aaguid: "c39efba6-fcf4-4c3e-828b-fc4a6115a0ff",
    algorithms: [-7],
    residentKeyCapacity: 50,
    counterMode: "random-1-16",
    versions: ["U2F_V2", "FIDO_2_0"],
    transports: ["usb"],
    makeCredUvNotRequired: false,
  },
  "nitrokey-3-xn": {
    ...NITROKEY_3,
    id: "nitrokey-3-xn",
    name: "Nitrokey 3 xN",
    aaguid: "ec99db19-cd1f-4c06-a2a9-940f17a6a30b",
    counterMode: "random-1-256",
  },
  "nitrokey-3-xn-legacy-counter": {
    ...NITROKEY_3,
    id: "nitrokey-3-xn-legacy-counter",
    name: "Nitrokey 3 xN (older firmware)",
    aaguid: "ec99db19-cd1f-4c06-a2a9-940f17a6a30b",
    counterMode: "plus-one",
  },
  "nitrokey-3-am": {
    ...NITROKEY_3,
    id: "nitrokey-3-am",
    name: "Nitrokey 3 AM",
    aaguid: "2cd2f727-f6ca-44da-8f48-5c2e5da000a2",
    counterMode: "random-1-256",
  },
};
