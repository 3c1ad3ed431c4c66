-- Activity ids become per-organisation counters (1, 2, 3… within each organisation) instead of
-- one global identity: a tenant no longer sees how much the others write, and a client can tell
-- a gap (the next id is always last + 1). Existing rows are renumbered in their old order, so
-- the feed reads exactly as before; ids a client kept from before this migration (a `since`
-- or a cursor) mean something else afterwards — see the README's "Upgrading".
-- Row-level security is forced on the owner too; the renumbering must see every organisation.
SELECT set_config('app.system', 'on', true);--> statement-breakpoint
ALTER TABLE "activities" DROP CONSTRAINT "activities_pkey";--> statement-breakpoint
ALTER TABLE "activities" ALTER COLUMN "id" DROP IDENTITY;--> statement-breakpoint
DROP INDEX "activities_org_id_idx";--> statement-breakpoint
UPDATE "activities" AS a
SET "id" = renumbered.n
FROM (
  SELECT "organisation_id", "id", row_number() OVER (PARTITION BY "organisation_id" ORDER BY "id") AS n
  FROM "activities"
) AS renumbered
WHERE a."organisation_id" = renumbered."organisation_id" AND a."id" = renumbered."id";--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_pkey" PRIMARY KEY("organisation_id","id");--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "last_activity_id" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE "organisations" AS o
SET "last_activity_id" = counted.last
FROM (SELECT "organisation_id", max("id") AS last FROM "activities" GROUP BY "organisation_id") AS counted
WHERE o."id" = counted."organisation_id";
