import { z } from "@hono/zod-openapi";
import { nameField, opaqueTokenField, passwordField, uuidField } from "../../lib/fields.ts";

const totpCode = z
  .string()
  .regex(/^\d{6}$/, "Must be the 6 digits the authenticator app shows")
  .openapi({ example: "123456", pattern: "^\\d{6}$" });
const recoveryCode = z
  .string()
  .min(1, "Must not be empty")
  .max(64)
  .regex(/^[A-Za-z0-9 -]+$/, "Must be a recovery code as it was shown (letters, digits, dashes)")
  .openapi({ example: "k7m2p-x9qtr", pattern: "^[A-Za-z0-9 -]+$" });

export const SetupBody = z.strictObject({ password: passwordField }).openapi("TotpSetupBody");
export const TotpSetupSchema = z
  .object({
    secret: z.string().openapi({ description: "Base32, for typing into an authenticator app by hand" }),
    otpauthUrl: z.string().openapi({ description: "otpauth://totp/… for a QR code" }),
  })
  .openapi("TotpSetup");

export const CodeBody = z.strictObject({ code: totpCode }).openapi("TotpCodeBody");
export const RecoveryCodesSchema = z
  .object({ recoveryCodes: z.array(z.string()).length(10).openapi({ description: "Shown this once: store them somewhere safe" }) })
  .openapi("RecoveryCodes");

export const DisableBody = z
  .strictObject({ password: passwordField, code: totpCode.optional(), recoveryCode: recoveryCode.optional() })
  .openapi("TotpDisableBody");

export const VerifyBody = z
  .strictObject({ mfaToken: opaqueTokenField, code: totpCode.optional(), recoveryCode: recoveryCode.optional() })
  .openapi("SecondStepBody");

const base64url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/, "Must be base64url")
    .openapi({ pattern: "^[A-Za-z0-9_-]*$" });

/** What `PublicKeyCredential.toJSON()` gives (WebAuthn Level 3), checked for shape; the library checks the rest. */
const credentialFields = {
  id: base64url(1024),
  rawId: base64url(1024),
  type: z.literal("public-key"),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
};

export const RegistrationBody = z
  .strictObject({
    ...credentialFields,
    response: z.looseObject({
      clientDataJSON: base64url(4096),
      attestationObject: base64url(32_768),
      transports: z.array(z.string().max(32)).max(10).optional(),
    }),
    name: nameField(64).optional().openapi({ description: "What to call it in the list (default: Passkey)" }),
  })
  .openapi("PasskeyRegistrationBody");

export const AuthenticationBody = z
  .strictObject({
    ...credentialFields,
    response: z.looseObject({
      clientDataJSON: base64url(4096),
      authenticatorData: base64url(4096),
      // Post-quantum signatures (ML-DSA, which simplewebauthn offers and Chromium signs with) run to a few KB.
      signature: base64url(16_384),
      userHandle: base64url(1024).optional(),
    }),
    organisationId: uuidField.optional().openapi({ description: "Which membership to sign in to (default: the oldest)" }),
  })
  .openapi("PasskeyAuthenticationBody");

export const PasskeyOptionsBody = z
  .strictObject({
    email: z.string().max(254).optional().openapi({
      description: "Accepted for clients that send it; the options are the same for every email (discoverable credentials)",
    }),
  })
  .openapi("PasskeyLoginOptionsBody");

export const EmptyBody = z.strictObject({}).openapi("EmptyBody");

/** WebAuthn options JSON for navigator.credentials (PublicKeyCredential.parse…OptionsFromJSON). */
export const WebAuthnOptionsSchema = z.looseObject({ challenge: z.string() }).openapi("WebAuthnOptions");

export const PasskeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
    flagged: z
      .boolean()
      .openapi({ description: "Its signature counter went backwards (a cloned authenticator): it can no longer sign in" }),
  })
  .openapi("Passkey");

export const PasskeysSchema = z.object({ passkeys: z.array(PasskeySchema) }).openapi("Passkeys");
export const RenamePasskeyBody = z.strictObject({ name: nameField(64) }).openapi("RenamePasskeyBody");
