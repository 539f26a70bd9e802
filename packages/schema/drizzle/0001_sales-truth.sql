CREATE TABLE "product_prices" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"store" text NOT NULL,
	"product_id" text NOT NULL,
	"price" bigint NOT NULL,
	"valid_from" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "cart_id" text;--> statement-breakpoint
CREATE INDEX "product_prices_product" ON "product_prices" USING btree ("store","product_id","valid_from");--> statement-breakpoint
CREATE INDEX "ticket_lines_line" ON "ticket_lines" USING btree ("line_id");--> statement-breakpoint
CREATE INDEX "tickets_store_visit" ON "tickets" USING btree ("store","visit_id");--> statement-breakpoint
CREATE INDEX "tickets_cart" ON "tickets" USING btree ("cart_id");