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
ALTER TABLE "tickets" ADD COLUMN "staff_id" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "approvals" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
CREATE INDEX "staff_store" ON "staff" USING btree ("store");--> statement-breakpoint
CREATE INDEX "audit_doc" ON "audit" USING btree ("doc");--> statement-breakpoint
CREATE INDEX "tickets_refund_of" ON "tickets" USING btree ("refund_of");