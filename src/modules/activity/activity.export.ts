import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { readInOrg } from "../../db/tenant.ts";
import type { ExportQueryInput } from "./activity.schemas.ts";

const BATCH = 1000;

type ExportRow = { id: string; line: string };

const CSV_COLUMNS = [
  "id",
  "createdAt",
  "type",
  "message",
  "actorId",
  "actorName",
  "actorEmail",
  "targetId",
  "targetName",
  "targetEmail",
  "requestId",
  "ip",
  "userAgent",
  "metadata",
  "forwardedRequestId",
] as const;

/** One batch after `afterId`, oldest first; each row already as its NDJSON line or its CSV cells (as a JSON array). */
const batchQuery = (organisationId: string, afterId: bigint, { format, from, to, type }: ExportQueryInput) => {
  const iso = sql`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const line =
    format === "csv"
      ? sql`json_build_array(id::text, ${iso}, type, message, actor->>'id', actor->>'name', actor->>'email', target->>'id', target->>'name',
          target->>'email', request_id, ip, user_agent, metadata::text, forwarded_request_id)::text`
      : sql`json_build_object('id', id::text, 'type', type, 'message', message, 'actor', actor, 'target', target, 'metadata', metadata,
          'createdAt', ${iso}, 'context', json_build_object('requestId', request_id, 'ip', ip, 'userAgent', user_agent,
          'forwardedRequestId', forwarded_request_id))::text`;
  return sql`
    select id::text as id, ${line} as line
    from activities
    where organisation_id = ${organisationId} and activities.id > ${afterId.toString()}::bigint
      ${type ? sql`and type = ${type}` : sql``}
      ${from ? sql`and created_at >= ${from}::timestamptz` : sql``}
      ${to ? sql`and created_at < ${to}::timestamptz` : sql``}
    order by activities.id
    limit ${BATCH}`;
};

/**
 * A cell a spreadsheet shows as text. One that starts like a formula (=, +, -, @, or a tab or
 * carriage return before one) is prefixed with ' so Excel or Sheets never runs it (OWASP's
 * CSV-injection advice), then quoted as RFC 4180 asks.
 */
export function csvCell(value: string | null): string {
  if (value === null) return "";
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** What ends a complete NDJSON export: a response without it was cut short. */
export const endOfExport = (count: number) => `${JSON.stringify({ endOfExport: true, count })}\n`;

/**
 * The organisation's log in id order, a batch of 1,000 at a time, each batch its own short
 * transaction (see chunkedStream for memory and failures). An NDJSON export ends with an
 * `endOfExport` line counting what it holds; a CSV one cannot say so, and a failure cuts it off
 * without the response's final chunk.
 */
export async function* exportChunks(db: Db, organisationId: string, query: ExportQueryInput): AsyncGenerator<string> {
  let header = query.format === "csv" ? `${CSV_COLUMNS.join(",")}\r\n` : "";
  let afterId = 0n;
  let count = 0;
  for (;;) {
    const rows = await readInOrg<ExportRow>(db, organisationId, batchQuery(organisationId, afterId, query));
    count += rows.length;
    const text =
      query.format === "csv"
        ? rows.map((row) => `${(JSON.parse(row.line) as Array<string | null>).map(csvCell).join(",")}\r\n`).join("")
        : rows.map((row) => `${row.line}\n`).join("");
    const last = rows.length < BATCH;
    const tail = last && query.format === "ndjson" ? endOfExport(count) : "";
    if (header || text || tail) yield header + text + tail;
    header = "";
    if (last) return;
    afterId = BigInt((rows.at(-1) as ExportRow).id);
  }
}
