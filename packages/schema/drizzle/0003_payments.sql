ALTER TABLE "tickets" ADD COLUMN "tip" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "tendered" bigint;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "change_given" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "payments" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "receipt_token" text;--> statement-breakpoint
CREATE INDEX "tickets_receipt_token" ON "tickets" USING btree ("receipt_token");