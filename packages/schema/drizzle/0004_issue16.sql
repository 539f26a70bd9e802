CREATE TABLE "staff" (
	"id" text PRIMARY KEY NOT NULL,
	"store" text NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"pin_hash" jsonb NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "store_settings" (
	"store" text PRIMARY KEY NOT NULL,
	"settings" jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text
);
--> statement-breakpoint
ALTER TABLE "ticket_lines" ADD COLUMN "discount_cents" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "ticket_lines" ADD COLUMN "tax_cents" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "ticket_lines" ADD COLUMN "net_cents" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "discount_cents" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "tax_cents" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "refund_of" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "staff_id" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "approvals" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
CREATE INDEX "staff_store" ON "staff" USING btree ("store");--> statement-breakpoint
CREATE INDEX "audit_doc" ON "audit" USING btree ("doc");--> statement-breakpoint
CREATE INDEX "tickets_refund_of" ON "tickets" USING btree ("refund_of");--> statement-breakpoint
-- Tickets projected before this migration: the VAT inside each line by the same rule as
-- pricing.ts (half away from zero, per line), so reports are right without a rebuild.
UPDATE "ticket_lines" SET "tax_cents" = sign("total")::bigint * ((2 * abs("total") * "tax_rate" + (10000 + "tax_rate")) / (2 * (10000 + "tax_rate"))) WHERE "tax_rate" > 0;--> statement-breakpoint
UPDATE "ticket_lines" SET "net_cents" = "total" - "tax_cents";--> statement-breakpoint
UPDATE "tickets" t SET "tax_cents" = s.tax FROM (SELECT "ticket_id", sum("tax_cents") AS tax FROM "ticket_lines" GROUP BY "ticket_id") s WHERE s."ticket_id" = t."id";
