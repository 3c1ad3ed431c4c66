import type { Db } from "../../db/client.ts";
import { runRead } from "../../db/tenant-calls.ts";
import { EXPORT_BATCH, type ExportRow, exportBatchRead } from "./activity.reads.ts";
import type { ExportQueryInput } from "./activity.schemas.ts";

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
    const rows = await runRead<ExportRow>(db, exportBatchRead, [
      organisationId,
      afterId.toString(),
      query.type ?? null,
      query.from ?? null,
      query.to ?? null,
      query.format === "csv",
    ]);
    count += rows.length;
    const text =
      query.format === "csv"
        ? rows.map((row) => `${(JSON.parse(row.line) as Array<string | null>).map(csvCell).join(",")}\r\n`).join("")
        : rows.map((row) => `${row.line}\n`).join("");
    const last = rows.length < EXPORT_BATCH;
    const tail = last && query.format === "ndjson" ? endOfExport(count) : "";
    if (header || text || tail) yield header + text + tail;
    header = "";
    if (last) return;
    afterId = BigInt((rows.at(-1) as ExportRow).id);
  }
}
