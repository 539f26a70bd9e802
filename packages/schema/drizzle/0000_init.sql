CREATE TABLE "audit" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"store" text,
	"actor" text,
	"kind" text NOT NULL,
	"code" text,
	"doc" text,
	"detail" jsonb
);
--> statement-breakpoint
CREATE TABLE "carts" (
	"id" text PRIMARY KEY NOT NULL,
	"store" text NOT NULL,
	"visit_id" text,
	"label" text DEFAULT '' NOT NULL,
	"line_count" integer NOT NULL,
	"total" bigint NOT NULL,
	"checked_out" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "checkpoints" (
	"name" text PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conflicts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"store" text NOT NULL,
	"kind" text NOT NULL,
	"docs" jsonb NOT NULL,
	"evidence" jsonb NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"strategy" text NOT NULL,
	"resolution" jsonb,
	"resolved_by" text,
	"resolved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "conflicts_key_unique" UNIQUE("key")
);
--> statement-breakpoint
CREATE TABLE "partners" (
	"id" text PRIMARY KEY NOT NULL,
	"store" text NOT NULL,
	"name" text NOT NULL,
	"member_no" text DEFAULT '' NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "products" (
	"id" text PRIMARY KEY NOT NULL,
	"store" text NOT NULL,
	"name" text NOT NULL,
	"category" text DEFAULT '' NOT NULL,
	"price" bigint NOT NULL,
	"tax_rate" integer DEFAULT 0 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"track_stock" boolean DEFAULT true NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "snapshots" (
	"doc" text PRIMARY KEY NOT NULL,
	"store" text NOT NULL,
	"bytes" "bytea" NOT NULL,
	"upto_seq" bigint NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stock_adjustments" (
	"id" text PRIMARY KEY NOT NULL,
	"store" text NOT NULL,
	"product_id" text NOT NULL,
	"kind" text NOT NULL,
	"delta" integer NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"by" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stock_levels" (
	"store" text NOT NULL,
	"product_id" text NOT NULL,
	"adjusted" integer DEFAULT 0 NOT NULL,
	"sold" integer DEFAULT 0 NOT NULL,
	"level" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stock_levels_store_product_id_pk" PRIMARY KEY("store","product_id")
);
--> statement-breakpoint
CREATE TABLE "stock_movements" (
	"ticket_id" text NOT NULL,
	"line_id" text NOT NULL,
	"store" text NOT NULL,
	"product_id" text NOT NULL,
	"qty" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "stock_movements_ticket_id_line_id_pk" PRIMARY KEY("ticket_id","line_id")
);
--> statement-breakpoint
CREATE TABLE "terminals" (
	"store" text NOT NULL,
	"terminal_id" text NOT NULL,
	"last_seen" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seq" bigint DEFAULT 0 NOT NULL,
	"connected" boolean DEFAULT false NOT NULL,
	"pending" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	CONSTRAINT "terminals_store_terminal_id_pk" PRIMARY KEY("store","terminal_id")
);
--> statement-breakpoint
CREATE TABLE "ticket_lines" (
	"ticket_id" text NOT NULL,
	"line_id" text NOT NULL,
	"store" text NOT NULL,
	"product_id" text NOT NULL,
	"name" text NOT NULL,
	"qty" integer NOT NULL,
	"unit_price" bigint NOT NULL,
	"tax_rate" integer DEFAULT 0 NOT NULL,
	"total" bigint NOT NULL,
	CONSTRAINT "ticket_lines_ticket_id_line_id_pk" PRIMARY KEY("ticket_id","line_id")
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" text PRIMARY KEY NOT NULL,
	"store" text NOT NULL,
	"terminal_id" text NOT NULL,
	"cashier" text DEFAULT '' NOT NULL,
	"client_time" timestamp with time zone NOT NULL,
	"total" bigint NOT NULL,
	"payment_method" text NOT NULL,
	"visit_id" text,
	"bracelet" text,
	"status" text NOT NULL,
	"reasons" jsonb NOT NULL,
	"voided" boolean DEFAULT false NOT NULL,
	"seq" bigint NOT NULL,
	"projected_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "update_log" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"doc" text NOT NULL,
	"store" text NOT NULL,
	"update_id" text,
	"bytes" "bytea" NOT NULL,
	"actor" text NOT NULL,
	"origin" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text NOT NULL,
	"store" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "visit_consumption" (
	"visit_id" text NOT NULL,
	"ticket_id" text NOT NULL,
	"store" text NOT NULL,
	"amount" bigint NOT NULL,
	"terminal_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "visit_consumption_visit_id_ticket_id_pk" PRIMARY KEY("visit_id","ticket_id")
);
--> statement-breakpoint
CREATE TABLE "visits" (
	"id" text PRIMARY KEY NOT NULL,
	"store" text NOT NULL,
	"partner_id" text NOT NULL,
	"bracelets" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"entry_at" timestamp with time zone DEFAULT now() NOT NULL,
	"exit_at" timestamp with time zone,
	"consumed" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_store_at" ON "audit" USING btree ("store","at");--> statement-breakpoint
CREATE INDEX "audit_actor_at" ON "audit" USING btree ("actor","at");--> statement-breakpoint
CREATE INDEX "conflicts_store_status" ON "conflicts" USING btree ("store","status");--> statement-breakpoint
CREATE INDEX "partners_store" ON "partners" USING btree ("store");--> statement-breakpoint
CREATE INDEX "products_store" ON "products" USING btree ("store");--> statement-breakpoint
CREATE INDEX "stock_adjustments_product" ON "stock_adjustments" USING btree ("store","product_id");--> statement-breakpoint
CREATE INDEX "stock_movements_product" ON "stock_movements" USING btree ("store","product_id");--> statement-breakpoint
CREATE INDEX "ticket_lines_store_product" ON "ticket_lines" USING btree ("store","product_id");--> statement-breakpoint
CREATE INDEX "tickets_store_time" ON "tickets" USING btree ("store","client_time");--> statement-breakpoint
CREATE INDEX "update_log_doc_seq" ON "update_log" USING btree ("doc","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "update_log_doc_update_id" ON "update_log" USING btree ("doc","update_id");--> statement-breakpoint
CREATE INDEX "visits_store_entry" ON "visits" USING btree ("store","entry_at");