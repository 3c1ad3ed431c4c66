// `bun run client:types`: regenerates packages/client/src/generated/api-types.ts from the OpenAPI document
// with openapi-typescript. The suite (tests/client-sdk.test.ts) regenerates it too and fails when
// the committed file differs, so the client's types can never lag the API.
import { writeFileSync } from "node:fs";
import { clientTypesOf } from "../packages/client/codegen.ts";
import { currentOpenApiDocument } from "./openapi.ts";

export const CLIENT_TYPES_FILE = new URL("../packages/client/src/generated/api-types.ts", import.meta.url);

export { clientTypesOf };

if (import.meta.main) {
  writeFileSync(CLIENT_TYPES_FILE, await clientTypesOf(await currentOpenApiDocument()));
  console.log("packages/client/src/generated/api-types.ts regenerated");
}
