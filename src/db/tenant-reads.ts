import { type SQL, sql } from "drizzle-orm";
import { TENANT_ROLE } from "./tenant.ts";

// A hot read as ONE statement that scopes itself: a plpgsql function that checks it is not being
// used from inside another organisation's scope, switches to app_tenant with the organisation
// set, runs its query, and puts both settings back. PostgreSQL plans the query after the switch,
// so row-level security binds it exactly as it binds withOrg — and the read costs one protocol
// cycle instead of withOrg's four (BEGIN, the scope, the query, COMMIT, each with its own Sync on
// Bun's client), which is what made a safe read slower than an unsafe one (docs/performance.md).
// A write that is the whole of its change (recording a broadcast) is the same kind of function;
// called on its own it is its own transaction, so the fan-out waits for one statement.
//
// The query is written once, in TypeScript (a module's `<name>.reads.ts`), as a parameterised statement: `$1` is the
// organisation, `$2`… the parameters. `$n` means the same inside a plpgsql body as in a prepared
// statement, so one text serves the function, the benchmark's bypass path and the plan tests
// (tests/query-plans.test.ts runs it as app_tenant). `bun run db:reads` writes the functions into
// a migration; tests/tenant-reads.test.ts fails while the database's functions differ from what
// this renders, so the two cannot drift.

/**
 * `organisation`: `$1` is the organisation; the query runs as app_tenant inside it.
 * `system`: the one kind of hot read that crosses organisations (a user's own sessions, in all of
 * theirs): the query runs with the system policy open, as withSystem's do.
 */
export type ReadScope = "organisation" | "system";

export type ReadDefinition<Flag extends string> = {
  /** The function's name in the database. */
  name: string;
  scope: ReadScope;
  /** `name type`, in order: the query's $1, $2… (for an organisation read, $1 is the organisation). */
  params: readonly string[];
  /** `name type` of each column it returns. */
  returns: readonly string[];
  /**
   * Conditions (on $n) that choose between static variants of the query: each variant is its own
   * statement in the function, so PostgreSQL keeps a plan per variant (one `$4 is null or type = $4`
   * would share one generic plan, and read a rare type along the wrong index).
   */
  flags?: Record<Flag, string>;
  /**
   * How PostgreSQL plans the query, fixed in the function (`set plan_cache_mode`):
   * - `generic` (the default): planned once and kept. Left to choose, plpgsql kept planning the
   *   feed's query on every call, since under the tenant policy its plan for the values looked
   *   cheaper than the generic one: a planning step on every read, which made the safe read
   *   slower than the unsafe one. tests/query-plans.test.ts proves each generic plan reads one page.
   * - `custom`: planned for each call's values. For a read whose shape depends on values no flag
   *   covers (an optional range): a generic plan of `created_at >= coalesce($4, …)` cannot know the
   *   range is open and scans the whole organisation. It costs a plan per call, so it is for reads
   *   whose rows dwarf that (an export batch).
   */
  plans?: "generic" | "custom";
  query: (flags: Record<Flag, boolean>) => string;
};

export type Read<Flag extends string = string> = ReadDefinition<Flag> & {
  /** The query for one combination of flags: what the function runs, as a plain statement. */
  statement(flags: Partial<Record<Flag, boolean>>): string;
  /** `create or replace function …`, then its privileges: the statements a migration holds. */
  definition(): string[];
  /** The function's body, as pg_proc.prosrc holds it (compared by tests/tenant-reads.test.ts). */
  body(): string;
  /** `select * from name($1::type, …)`: how the API calls it. */
  call: string;
  /**
   * The query with `args` bound, as a plain statement: for code already inside withOrg, which
   * runs as app_tenant and so may not call the function, yet must not hold a second copy of it.
   */
  inline(args: readonly unknown[]): SQL;
};

/** A self-scoping function that changes rows: called like a read, never repeated (runWrite). */
export type Write = Read & { writes: true };

const typeOf = (param: string) => param.slice(param.indexOf(" ") + 1);

const indent = (text: string, by: string) => text.replace(/\n/g, `\n${by}`);

export function defineRead<Flag extends string = never>(read: ReadDefinition<Flag>): Read<Flag> {
  return defineFunction(read, "read");
}

/**
 * A write as one self-scoping statement: the same function as a read's, whose query changes rows
 * (a data-modifying WITH). Called on its own it is its own transaction, so its answer is its commit.
 */
export function defineWrite(write: ReadDefinition<never>): Write {
  return { ...defineFunction(write, "write"), writes: true };
}

function defineFunction<Flag extends string>(read: ReadDefinition<Flag>, kind: "read" | "write"): Read<Flag> {
  const flagNames = Object.keys(read.flags ?? {}) as Flag[];
  const variant = (flags: Partial<Record<Flag, boolean>>) =>
    read.query(Object.fromEntries(flagNames.map((flag) => [flag, flags[flag] === true])) as Record<Flag, boolean>).trim();

  /**
   * The variants as a tree of `if`s, one flag per level: any variant is reached after one test
   * per flag (an `elsif` chain of every combination would test up to 2^n compound conditions).
   */
  function queries(chosen: Partial<Record<Flag, boolean>> = {}, level = 0): string {
    const flag = flagNames[level];
    if (flag === undefined) return `return query\n  ${indent(variant(chosen), "  ")};`;
    return [
      `if ${read.flags?.[flag]} then`,
      `  ${indent(queries({ ...chosen, [flag]: true }, level + 1), "  ")}`,
      "else",
      `  ${indent(queries({ ...chosen, [flag]: false }, level + 1), "  ")}`,
      "end if;",
    ].join("\n");
  }

  function body(): string {
    const scoped =
      read.scope === "organisation"
        ? [
            "declare",
            "  outer_role text := current_setting('role');",
            "  outer_organisation text := coalesce(current_setting('app.organisation_id', true), '');",
            "begin",
            "  -- Never a way out of one organisation's scope into another's.",
            "  if outer_organisation not in ('', $1::text) then",
            `    raise exception '${kind === "read" ? "a read of" : "a write to"} organisation % inside the scope of another', $1 using errcode = '42501';`,
            "  end if;",
            `  perform set_config('role', '${TENANT_ROLE}', true), set_config('app.organisation_id', $1::text, true);`,
          ]
        : [
            "declare",
            "  outer_system text := coalesce(current_setting('app.system', true), '');",
            "begin",
            "  perform set_config('app.system', 'on', true);",
          ];
    const restore =
      read.scope === "organisation"
        ? "  perform set_config('role', outer_role, true), set_config('app.organisation_id', outer_organisation, true);"
        : "  perform set_config('app.system', outer_system, true);";
    return ["", "#variable_conflict use_column", ...scoped, `  ${indent(queries(), "  ")}`, restore, "end", ""].join("\n");
  }

  const signature = `${read.name}(${read.params.map(typeOf).join(", ")})`;
  return {
    ...read,
    statement: variant,
    body,
    inline: (args) => {
      // `$n` becomes the n-th argument, bound as a parameter; each use binds its own.
      const text = variant({});
      const pieces = text.split(/\$(\d+)/);
      return sql.join(pieces.map((piece, index) => (index % 2 === 0 ? sql.raw(piece) : sql`${args[Number(piece) - 1]}`)));
    },
    call: `select * from ${read.name}(${read.params.map((param, index) => `$${index + 1}::${typeOf(param)}`).join(", ")})`,
    definition: () => [
      [
        `create or replace function ${read.name}(${read.params.map((param) => `p_${param}`).join(", ")})`,
        `returns table (${read.returns.join(", ")})`,
        "language plpgsql",
        `set plan_cache_mode = force_${read.plans ?? "generic"}_plan`,
        `as $read$${body()}$read$;`,
      ].join("\n"),
      // Only the owning role (the API's) may call it: code already running as app_tenant cannot.
      `revoke all on function ${signature} from public;`,
    ],
  };
}
