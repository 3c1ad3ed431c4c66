import type { RegistrationResponseJSON } from "@simplewebauthn/server";
import type { AppRouteHandler } from "../../app-env.ts";
import { ok } from "../../lib/response.ts";
import type * as routes from "./factors.routes.ts";

export const totpSetup: AppRouteHandler<typeof routes.totpSetup> = async (c) =>
  c.json(
    ok(
      "Scan the code, then enable with a first code",
      await c.get("services").twoFactor.setup(c.get("account"), c.req.valid("json").password),
    ),
    200,
  );

export const totpEnable: AppRouteHandler<typeof routes.totpEnable> = async (c) =>
  c.json(
    ok(
      "Two-factor codes are on; keep these recovery codes safe",
      await c.get("services").twoFactor.enable(c.get("account"), c.req.valid("json").code),
    ),
    200,
  );

export const totpDisable: AppRouteHandler<typeof routes.totpDisable> = async (c) => {
  const { password, ...answer } = c.req.valid("json");
  await c.get("services").twoFactor.disable(c.get("account"), password, answer);
  return c.json(ok("Two-factor codes are off", null), 200);
};

export const recoveryCodes: AppRouteHandler<typeof routes.recoveryCodes> = async (c) =>
  c.json(
    ok(
      "New recovery codes; the old ones no longer work",
      await c.get("services").twoFactor.regenerateRecoveryCodes(c.get("account"), c.req.valid("json").code),
    ),
    200,
  );

export const passkeyRegistrationOptions: AppRouteHandler<typeof routes.passkeyRegistrationOptions> = async (c) =>
  c.json(ok("Pass these to navigator.credentials.create()", await c.get("services").passkeys.registrationOptions(c.get("account"))), 200);

export const passkeyRegister: AppRouteHandler<typeof routes.passkeyRegister> = async (c) => {
  const { name, ...credential } = c.req.valid("json");
  const passkey = await c.get("services").passkeys.register(c.get("account"), credential as RegistrationResponseJSON, name);
  return c.json(ok("Passkey registered", passkey), 201);
};

export const passkeyLoginOptions: AppRouteHandler<typeof routes.passkeyLoginOptions> = async (c) =>
  c.json(ok("Pass these to navigator.credentials.get()", await c.get("services").passkeys.authenticationOptions()), 200);

export const listPasskeys: AppRouteHandler<typeof routes.listPasskeys> = async (c) =>
  c.json(ok("Passkeys", { passkeys: await c.get("services").passkeys.list(c.get("account")) }), 200);

export const renamePasskey: AppRouteHandler<typeof routes.renamePasskey> = async (c) =>
  c.json(
    ok("Passkey renamed", await c.get("services").passkeys.rename(c.get("account"), c.req.valid("param").id, c.req.valid("json").name)),
    200,
  );

export const deletePasskey: AppRouteHandler<typeof routes.deletePasskey> = async (c) => {
  await c.get("services").passkeys.remove(c.get("account"), c.req.valid("param").id);
  return c.json(ok("Passkey removed", null), 200);
};
