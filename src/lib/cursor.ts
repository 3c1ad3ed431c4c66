import { BadRequestError } from "./errors.ts";

/** An opaque keyset cursor: clients pass it back, they never build one. */
export const encodeCursor = (...parts: string[]): string => Buffer.from(JSON.stringify(parts)).toString("base64url");

export function decodeCursor(cursor: string, arity: number): string[] {
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(parts) && parts.length === arity && parts.every((part) => typeof part === "string")) return parts;
  } catch {}
  throw new BadRequestError("Invalid cursor");
}

/** Cuts a page from `limit + 1` rows: the extra row only tells whether a next page exists. */
export function cutPage<T>(rows: T[], limit: number, cursorOf: (last: T) => string): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? cursorOf(last) : null };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A keyset position on (timestamp, uuid) — a row's creation time and id as the tie-break. */
export type TimeKey = { at: Date; id: string };

export const encodeTimeKey = ({ at, id }: TimeKey): string => encodeCursor(at.toISOString(), id);

// Only what encodeTimeKey writes: four-digit years from 0001, so every value is one PostgreSQL
// can hold (JavaScript's ±275760 and year 0 are not), and nothing reaches a query unchecked.
const ISO_INSTANT = /^(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function decodeTimeKey(cursor: string): TimeKey {
  const [at = "", id = ""] = decodeCursor(cursor, 2);
  const date = new Date(at);
  const year = Number(ISO_INSTANT.exec(at)?.[1] ?? 0);
  // The round trip refuses dates that do not exist, such as 2025-02-30.
  if (year < 1 || Number.isNaN(date.getTime()) || date.toISOString() !== at || !UUID.test(id)) {
    throw new BadRequestError("Invalid cursor");
  }
  return { at: date, id };
}
