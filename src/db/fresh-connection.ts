import type { SQL } from "bun";

// Keyed by the Drizzle handle (any object: this file sits below client.ts, which registers).
const factories = new WeakMap<object, () => SQL>();

/** Registers how to open a connection of `db`'s server outside its pool (one, closed after use). */
export const registerFreshConnection = (db: object, open: () => SQL) => factories.set(db, open);

/** A client of a single new connection to `db`'s server, or undefined on the embedded database (it has no connections to lose). */
export const freshConnectionOf = (db: object): (() => SQL) | undefined => factories.get(db);
