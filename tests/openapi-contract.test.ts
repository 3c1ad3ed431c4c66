// The OpenAPI document as a new user's tools read it: ajv (JSON Schema 2020-12, the dialect of
// OpenAPI 3.1) compiled from /docs/spec, checking real requests and real responses — names with
// accents and emoji included. A spec no validator accepts would make every generated client,
// mock server and form refuse valid input.
import { beforeAll, describe, expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import * as authRoutes from "../src/modules/auth/auth.routes.ts";
import { type ApiResponse, parseWith } from "./support/client.ts";
import { PASSWORD, uniqueEmail } from "./support/fixtures.ts";
import { fetchSpec } from "./support/routes.ts";
import { useTestServer } from "./support/server.ts";

const { api } = useTestServer();
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

const pointer = (...parts: string[]) => parts.map((part) => part.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

beforeAll(async () => {
  ajv.addSchema(await fetchSpec(api), "spec");
});

function validate(schemaPointer: string, value: unknown) {
  const check = ajv.getSchema(`spec#/${schemaPointer}`);
  if (!check) throw new Error(`no schema at ${schemaPointer}`);
  const valid = check(value);
  return { valid, errors: ajv.errorsText(check.errors) };
}

/** The request body as the document describes it: valid, or the test fails naming why. */
function expectValidRequest(method: string, path: string, body: unknown) {
  const result = validate(pointer("paths", path, method, "requestBody", "content", "application/json", "schema"), body);
  expect(result.errors, `${method.toUpperCase()} ${path} request`).toBe("No errors");
}

function expectValidResponse(method: string, path: string, response: ApiResponse) {
  const result = validate(
    pointer("paths", path, method, "responses", String(response.status), "content", "application/json", "schema"),
    response.body,
  );
  expect(result.errors, `${method.toUpperCase()} ${path} ${response.status}`).toBe("No errors");
}

describe("real traffic validates against /docs/spec", () => {
  test("a name with accents and an emoji, an organisation, a broadcast, an invite, the feed and the members list", async () => {
    const registration = {
      name: "Zoë Ångström 🚀",
      email: uniqueEmail("unicode"),
      password: "correct-horse-battery",
      organisationName: "Café Ñandú 🎉",
    };
    expectValidRequest("post", "/api/auth/register", registration);
    const registered = await api.post("/api/auth/register", { body: registration });
    expectValidResponse("post", "/api/auth/register", registered);
    const { data } = parseWith(authRoutes.register, 201, registered);
    const token = data.accessToken;

    for (const path of [
      "/api/auth/me",
      "/api/organisations",
      "/api/users",
      "/api/users/invites",
      "/api/activities",
      "/api/auth/sessions",
    ]) {
      expectValidResponse("get", path, await api.get(path, { token }));
    }
    const broadcast = { message: "Déploiement à 17 h 🛠️\nmerci" };
    expectValidRequest("post", "/api/organisations/broadcast", broadcast);
    expectValidResponse("post", "/api/organisations/broadcast", await api.post("/api/organisations/broadcast", { token, body: broadcast }));
    const invitation = { email: uniqueEmail("invitee"), role: "MEMBER" };
    expectValidRequest("post", "/api/users/invite", invitation);
    expectValidResponse("post", "/api/users/invite", await api.post("/api/users/invite", { token, body: invitation }));
    const rename = { name: "Ünïcødé Ltd 🏢" };
    expectValidRequest("patch", "/api/organisations", rename);
    expectValidResponse("patch", "/api/organisations", await api.patch("/api/organisations", { token, body: rename }));
    expectValidResponse("get", "/api/activities", await api.get("/api/activities", { token }));
  });

  test("nulls where the document allows them: an account in no organisation signs in, and its me has no organisation", async () => {
    const registered = parseWith(
      authRoutes.register,
      201,
      await api.post("/api/auth/register", {
        body: { name: "Left Alone", email: uniqueEmail("alone"), password: PASSWORD, organisationName: "Short-lived" },
      }),
    ).data;
    const { accessToken } = registered;
    await api.delete("/api/organisations", { token: accessToken, body: { confirmName: "Short-lived" } });
    const login = await api.post("/api/auth/login", { body: { email: registered.user.email, password: PASSWORD } });
    expectValidResponse("post", "/api/auth/login", login);
    const { data } = parseWith(authRoutes.login, 200, login) as { data: { accessToken: string } };
    const me = await api.get("/api/auth/me", { token: data.accessToken });
    expect((me.body as { data: { organisation: unknown; role: unknown } }).data).toMatchObject({ organisation: null, role: null });
    expectValidResponse("get", "/api/auth/me", me);
  });

  test("refusals validate as the error envelope, with their code", async () => {
    expectValidResponse("get", "/api/organisations", await api.get("/api/organisations"));
    expectValidResponse("post", "/api/auth/register", await api.post("/api/auth/register", { body: { name: "" } }));
    expectValidResponse(
      "post",
      "/api/auth/login",
      await api.post("/api/auth/login", { body: { email: uniqueEmail("nobody"), password: "whatever-it-is" } }),
    );
  });

  test("no nullable reference is written in a form that no null satisfies", async () => {
    // zod-to-openapi writes `.nullable()` of a registered schema as allOf [$ref, {type: [object, null]}]:
    // null fails the $ref, so a validator refuses every null and openapi-typescript mistypes it.
    const broken: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (Array.isArray(node)) {
        node.forEach((item, index) => {
          walk(item, `${path}/${index}`);
        });
        return;
      }
      if (!node || typeof node !== "object") return;
      const allOf = (node as { allOf?: { $ref?: string; type?: unknown }[] }).allOf;
      if (allOf?.some((part) => part.$ref) && allOf.some((part) => Array.isArray(part.type) && part.type.includes("null")))
        broken.push(path);
      for (const [key, value] of Object.entries(node)) walk(value, `${path}/${key}`);
    };
    const spec = await fetchSpec(api);
    walk(spec, "");
    expect(broken).toEqual([]);
    // Nor is a shared component nullable itself, which would let null through everywhere it is used.
    const nullableComponents = Object.entries(spec.components?.schemas ?? {}).filter(
      ([, schema]) =>
        Array.isArray((schema as { type?: unknown }).type) && ((schema as { type: string[] }).type as string[]).includes("null"),
    );
    expect(nullableComponents.map(([name]) => name)).toEqual([]);
  });

  test("the document refuses what the API refuses: a control character in a name", () => {
    const bell = { name: "bell\u0007", email: uniqueEmail("bell"), password: "correct-horse-battery", organisationName: "Org" };
    const result = validate(pointer("paths", "/api/auth/register", "post", "requestBody", "content", "application/json", "schema"), bell);
    expect(result.valid).toBe(false);
  });
});
