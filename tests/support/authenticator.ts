// A software WebAuthn authenticator for the HTTP tests: it makes real ES256 credentials and
// signs real assertions (WebCrypto), encoded as authenticators do (CBOR through the library's
// own encoder), so the server's verification runs unchanged. Its counter can be set, to play a
// cloned authenticator. The browser test uses Chromium's virtual authenticator instead.
import { createHash, randomBytes } from "node:crypto";
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { isoBase64URL, isoCBOR } from "@simplewebauthn/server/helpers";

type Credential = { id: string; keys: CryptoKeyPair; counter: number; userHandle: string };

const sha256 = (data: Uint8Array | string): Uint8Array<ArrayBuffer> => new Uint8Array(createHash("sha256").update(data).digest());
const concat = (...parts: Uint8Array[]): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.concat(parts));
const uint32 = (value: number) => {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
};

/** WebCrypto's ECDSA signature (r‖s) as ASN.1 DER, which WebAuthn uses. */
function derOf(raw: Uint8Array): Uint8Array<ArrayBuffer> {
  const integer = (bytes: Uint8Array) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const trimmed = bytes.slice(start);
    const padded = (trimmed[0] as number) & 0x80 ? concat(new Uint8Array([0]), trimmed) : trimmed;
    return concat(new Uint8Array([0x02, padded.length]), padded);
  };
  const body = concat(integer(raw.slice(0, 32)), integer(raw.slice(32)));
  return concat(new Uint8Array([0x30, body.length]), body);
}

const FLAGS = { userPresent: 0x01, userVerified: 0x04, attested: 0x40 };

export function createAuthenticator(origin: string) {
  const credentials = new Map<string, Credential>();

  const clientData = (type: "webauthn.create" | "webauthn.get", challenge: string) =>
    new TextEncoder().encode(JSON.stringify({ type, challenge, origin, crossOrigin: false }));

  return {
    credentials,

    /** navigator.credentials.create() for these options (PublicKeyCredentialCreationOptionsJSON). */
    async create(options: { challenge: string; rp: { id?: string }; user: { id: string } }): Promise<RegistrationResponseJSON> {
      const rpId = options.rp.id ?? new URL(origin).hostname;
      const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
      const jwk = await crypto.subtle.exportKey("jwk", keys.publicKey);
      const coseKey = new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, isoBase64URL.toBuffer(jwk.x as string)],
        [-3, isoBase64URL.toBuffer(jwk.y as string)],
      ]);
      const id = new Uint8Array(randomBytes(16));
      const attestedData = concat(new Uint8Array(16), new Uint8Array([0, id.length]), id, isoCBOR.encode(coseKey));
      const authData = concat(
        sha256(rpId),
        new Uint8Array([FLAGS.userPresent | FLAGS.userVerified | FLAGS.attested]),
        uint32(0),
        attestedData,
      );
      const attestationObject = isoCBOR.encode(
        new Map<string, Parameters<typeof isoCBOR.encode>[0]>([
          ["fmt", "none"],
          ["attStmt", new Map()],
          ["authData", authData],
        ]),
      );
      const credentialId = isoBase64URL.fromBuffer(id);
      credentials.set(credentialId, { id: credentialId, keys, counter: 0, userHandle: options.user.id });
      return {
        id: credentialId,
        rawId: credentialId,
        type: "public-key",
        response: {
          clientDataJSON: isoBase64URL.fromBuffer(clientData("webauthn.create", options.challenge)),
          attestationObject: isoBase64URL.fromBuffer(attestationObject),
          transports: ["internal"],
        },
        clientExtensionResults: {},
        authenticatorAttachment: "platform",
      };
    },

    /** navigator.credentials.get() with `credentialId` (default: the only one), its counter moved forward (or set). */
    async get(
      options: { challenge: string; rpId?: string },
      { credentialId, counter }: { credentialId?: string; counter?: number } = {},
    ): Promise<AuthenticationResponseJSON> {
      const credential = credentialId ? credentials.get(credentialId) : [...credentials.values()][0];
      if (!credential) throw new Error("the authenticator holds no such credential");
      credential.counter = counter ?? credential.counter + 1;
      const rpId = options.rpId ?? new URL(origin).hostname;
      const authData = concat(sha256(rpId), new Uint8Array([FLAGS.userPresent | FLAGS.userVerified]), uint32(credential.counter));
      const clientDataJSON = clientData("webauthn.get", options.challenge);
      const signed = concat(authData, sha256(clientDataJSON));
      const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, credential.keys.privateKey, signed));
      return {
        id: credential.id,
        rawId: credential.id,
        type: "public-key",
        response: {
          clientDataJSON: isoBase64URL.fromBuffer(clientDataJSON),
          authenticatorData: isoBase64URL.fromBuffer(authData),
          signature: isoBase64URL.fromBuffer(derOf(raw)),
          userHandle: credential.userHandle,
        },
        clientExtensionResults: {},
        authenticatorAttachment: "platform",
      };
    },
  };
}

export type TestAuthenticator = ReturnType<typeof createAuthenticator>;
