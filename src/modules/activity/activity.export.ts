import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { statementInOrg } from "../../db/tenant.ts";
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
] as const;

/** One batch after `afterId`, oldest first; each row already as its NDJSON line or its CSV cells (as a JSON array). */
const batchQuery = (organisationId: string, afterId: bigint, { format, from, to, type }: ExportQueryInput) => {
  const iso = sql`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const line =
    format === "csv"
      ? sql`json_build_array(id::text, ${iso}, type, message, actor->>'id', actor->>'name', actor->>'email', target->>'id', target->>'name',
          target->>'email', request_id, ip, user_agent, metadata::text)::text`
      : sql`json_build_object('id', id::text, 'type', type, 'message', message, 'actor', actor, 'target', target, 'metadata', metadata,
          'createdAt', ${iso}, 'context', json_build_object('requestId', request_id, 'ip', ip, 'userAgent', user_agent))::text`;
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

/**
 * The organisation's log in id order, as a stream that reads one batch of 1,000 each time the
 * client has taken the previous one: memory stays flat however long the log, and a slow client
 * slows the reading, not the server. Each batch is its own short transaction.
 */
export function exportStream(db: Db, organisationId: string, query: ExportQueryInput): ReadableStream<string> {
  let afterId = 0n;
  let headerSent = query.format !== "csv";
  return new ReadableStream<string>(
    {
      async pull(controller) {
        if (!headerSent) {
          headerSent = true;
          controller.enqueue(`${CSV_COLUMNS.join(",")}\r\n`);
          return;
        }
        const rows = await statementInOrg<ExportRow>(db, organisationId, batchQuery(organisationId, afterId, query));
        if (rows.length === 0) return controller.close();
        afterId = BigInt((rows.at(-1) as ExportRow).id);
        const text =
          query.format === "csv"
            ? rows.map((row) => `${(JSON.parse(row.line) as Array<string | null>).map(csvCell).join(",")}\r\n`).join("")
            : rows.map((row) => `${row.line}\n`).join("");
        controller.enqueue(text);
        if (rows.length < BATCH) controller.close();
      },
    },
    { highWaterMark: 1 },
  );
}
