// What other modules use of the docs module: the pages' content security policy.
export { PAGE_POLICY } from "./docs.router.ts";
export { ServerMessageSchema } from "./socket-messages.ts";
