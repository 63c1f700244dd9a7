-- Trust anchors for WebAuthn attestation, used while a tenant keeps an AAGUID
-- allow-list (docs/webauthn-trust.md): the tenant's own root certificates,
-- and the FIDO Metadata Service (MDS3) data imported with `twofold mds import`.

-- JSON array of base64 DER X.509 CA certificates, validated by the service.
ALTER TABLE relying_parties
  ADD COLUMN attestation_roots jsonb NOT NULL DEFAULT '[]'::jsonb;

-- The MDS3 blob last imported: one row at most. MDS data is public and the
-- same for every tenant, so these two tables carry no tenant_id; under a
-- distributed deployment they are reference tables, copied to every node.
CREATE TABLE mds_blobs (
  singleton    boolean     NOT NULL PRIMARY KEY DEFAULT true CHECK (singleton),
  -- The payload's `no`: a later blob has a larger one (downgrades are refused).
  serial       bigint      NOT NULL,
  next_update  date        NOT NULL,
  -- Subject of the certificate that signed the blob.
  signer       text        NOT NULL,
  entries      integer     NOT NULL,
  imported_at  timestamptz NOT NULL
);

-- One FIDO2 authenticator model of the imported blob, by AAGUID.
CREATE TABLE mds_entries (
  aaguid            uuid  NOT NULL PRIMARY KEY,
  description       text  NOT NULL DEFAULT '',
  -- JSON array of base64 DER certificates: metadataStatement.attestationRootCertificates.
  attestation_roots jsonb NOT NULL,
  -- JSON array of {"status", "effectiveDate"} from statusReports.
  status_reports    jsonb NOT NULL
);
