import { pgTable, text } from "drizzle-orm/pg-core";
import { createdAt, id, timestampTz } from "./columns.ts";
import { subscriptionPlan } from "./enums.ts";

export const organisations = pgTable("organisations", {
  id: id(),
  name: text().notNull(),
  slug: text().notNull().unique(),
  subscriptionPlan: subscriptionPlan().notNull().default("FREE"),
  createdAt: createdAt(),
  updatedAt: timestampTz().notNull().defaultNow(),
});
