/**
 * The JSON shapes of WebAuthn Level 3 (§5.1.8 toJSON, §5.4 parse…FromJSON):
 * what a relying party sends to a page and what the page posts back. Our own
 * declarations, so the emulator depends on no relying-party library.
 */

/** A credential descriptor in JSON (id is base64url). */
export interface PublicKeyCredentialDescriptorJSON {
  /** Only "public-key" exists; a client ignores other types. */
  type: string;
  id: string;
  transports?: string[];
}

/** Client extension inputs; only credProps has an effect here, the rest are ignored as an unsupporting browser would. */
export interface ClientExtensionInputs {
  credProps?: boolean;
  appid?: string;
  uvm?: boolean;
  hmacCreateSecret?: boolean;
}

/** PublicKeyCredentialCreationOptionsJSON. */
export interface PublicKeyCredentialCreationOptionsJSON {
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  challenge: string;
  pubKeyCredParams: { type: string; alg: number }[];
  timeout?: number;
  excludeCredentials?: PublicKeyCredentialDescriptorJSON[];
  authenticatorSelection?: {
    authenticatorAttachment?: string;
    residentKey?: string;
    requireResidentKey?: boolean;
    userVerification?: string;
  };
  hints?: string[];
  attestation?: string;
  attestationFormats?: string[];
  extensions?: ClientExtensionInputs;
}

/** PublicKeyCredentialRequestOptionsJSON. */
export interface PublicKeyCredentialRequestOptionsJSON {
  challenge: string;
  timeout?: number;
  rpId?: string;
  allowCredentials?: PublicKeyCredentialDescriptorJSON[];
  userVerification?: string;
  hints?: string[];
  extensions?: ClientExtensionInputs;
}

/** Client extension outputs this client produces. */
export interface ClientExtensionResults {
  credProps?: { rk: boolean };
}

/** `PublicKeyCredential.toJSON()` after `navigator.credentials.create()` (RegistrationResponseJSON). */
export interface RegistrationResponseJSON {
  id: string;
  rawId: string;
  type: "public-key";
  authenticatorAttachment: "cross-platform";
  clientExtensionResults: ClientExtensionResults;
  response: {
    clientDataJSON: string;
    attestationObject: string;
    authenticatorData: string;
    transports: string[];
    publicKeyAlgorithm: number;
    publicKey?: string;
  };
}

/** `PublicKeyCredential.toJSON()` after `navigator.credentials.get()` (AuthenticationResponseJSON). */
export interface AuthenticationResponseJSON {
  id: string;
  rawId: string;
  type: "public-key";
  authenticatorAttachment: "cross-platform";
  clientExtensionResults: ClientExtensionResults;
  response: {
    clientDataJSON: string;
    authenticatorData: string;
    signature: string;
    userHandle?: string;
  };
}
