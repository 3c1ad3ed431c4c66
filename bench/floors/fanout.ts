// Fan-out floor: a Bun server doing only the unavoidable work — upgrade, subscribe the socket to
// its topic, say CONNECTED, and publish what is POSTed to /publish straight from the handler.
import { serveFanOut } from "./fanout-server.ts";

serveFanOut();
