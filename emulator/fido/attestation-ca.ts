import { KeyObject, webcrypto } from "node:crypto";
// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs this polyfill loaded first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { systemClock, type EmulatorClock } from "../runtime.js";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 86_400_000;
/** id-fido-gen-ce-aaguid (FIDO Metadata / WebAuthn §8.2.1). */
export const FIDO_AAGUID_OID = "1.3.6.1.4.1.45724.1.1.4";

/** A batch attestation key with its certificate (DER), as burnt into a device at the factory. */
export interface BatchCertificate {
  readonly certificateDer: Uint8Array;
  readonly privateKey: KeyObject;
}

/** What a batch certificate should say; the faults make it expired or a CA. */
export interface BatchCertificateRequest {
  commonName: string;
  /** 16 bytes; omitted for U2F certificates, which predate the extension. */
  aaguid?: Uint8Array;
  /** OU "Authenticator Attestation" is what `packed` requires; U2F certificates have none. */
  packed?: boolean;
  expired?: boolean;
  ca?: boolean;
}

/**
 * The emulator's own attestation root, standing in for Nitrokey's: it issues
 * batch certificates for `packed` and `fido-u2f`. A relying party that wants
 * to check the chain trusts {@link AttestationCa.rootCertificatePem}.
 */
export class AttestationCa {
  private constructor(
    readonly rootCertificate: x509.X509Certificate,
    private readonly keys: webcrypto.CryptoKeyPair,
    private readonly clock: EmulatorClock,
  ) {}

  /** Makes a fresh root (P-256, valid from a day ago for 30 years). */
  static async create(options: { clock?: EmulatorClock; commonName?: string } = {}): Promise<AttestationCa> {
    const clock = options.clock ?? systemClock;
    const keys = (await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
    const now = clock.now().getTime();
    const root = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "01",
      name: `C=DE, O=Nitrokey GmbH, OU=twofold emulator, CN=${options.commonName ?? "twofold emulated FIDO root CA"}`,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 30 * 365 * DAY),
      keys,
      signingAlgorithm: EC,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new AttestationCa(root, keys, clock);
  }

  /** Restores a root saved with {@link AttestationCa.export}, so scenario runs keep one trust anchor. */
  static async import(saved: { certificatePem: string; privateKeyPkcs8: string }, options: { clock?: EmulatorClock } = {}): Promise<AttestationCa> {
    const root = new x509.X509Certificate(saved.certificatePem);
    const privateKey = await webcrypto.subtle.importKey("pkcs8", Buffer.from(saved.privateKeyPkcs8, "base64"), EC, true, ["sign"]);
    const publicKey = await root.publicKey.export(EC, ["verify"], webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return new AttestationCa(root, { privateKey, publicKey }, options.clock ?? systemClock);
  }

  /** The root and its key, for a JSON file (the key is a test key, never a real one). */
  async export(): Promise<{ certificatePem: string; privateKeyPkcs8: string }> {
    const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", this.keys.privateKey);
    return { certificatePem: this.rootCertificatePem, privateKeyPkcs8: Buffer.from(pkcs8).toString("base64") };
  }

  /** The root in PEM, what a relying party configures as a trust anchor. */
  get rootCertificatePem(): string {
    return this.rootCertificate.toString("pem");
  }

  /** The root in DER. */
  get rootCertificateDer(): Uint8Array {
    return new Uint8Array(this.rootCertificate.rawData);
  }

  /** Issues a batch key and certificate (WebAuthn §8.2.1 requirements unless a fault says otherwise). */
  async issueBatch(request: BatchCertificateRequest): Promise<BatchCertificate> {
    const keys = (await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
    const now = this.clock.now().getTime();
    const notBefore = request.expired ? new Date(now - 3 * 365 * DAY) : new Date(now - DAY);
    const notAfter = request.expired ? new Date(now - DAY) : new Date(now + 20 * 365 * DAY);
    const ou = request.packed === false ? "" : ", OU=Authenticator Attestation";
    const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(request.ca === true, undefined, true)];
    if (request.aaguid) {
      // extnValue is a DER OCTET STRING holding the 16 AAGUID bytes; not critical.
      extensions.push(new x509.Extension(FIDO_AAGUID_OID, false, Uint8Array.of(0x04, 0x10, ...request.aaguid)));
    }
    const serial = Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString("hex");
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: `7f${serial}`,
      subject: `C=DE, O=Nitrokey GmbH${ou}, CN=${request.commonName}`,
      issuer: this.rootCertificate.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: this.keys.privateKey,
      signingAlgorithm: EC,
      extensions,
    });
    return { certificateDer: new Uint8Array(certificate.rawData), privateKey: KeyObject.from(keys.privateKey) };
  }
}
