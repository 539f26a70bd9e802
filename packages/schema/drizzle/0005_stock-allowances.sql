CREATE TABLE "allowance_lines" (
	"ticket_id" text NOT NULL,
	"line_id" text NOT NULL,
	"store" text NOT NULL,
	"product_id" text NOT NULL,
	"terminal_id" text NOT NULL,
	"grant_id" text,
	"version" integer NOT NULL,
	"qty" integer NOT NULL,
	"claimed" integer NOT NULL,
	"within" integer DEFAULT 0 NOT NULL,
	"approval" jsonb,
	"verdict" text DEFAULT 'within' NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "allowance_lines_ticket_id_line_id_pk" PRIMARY KEY("ticket_id","line_id")
);
--> statement-breakpoint
CREATE TABLE "stock_allowances" (
	"store" text NOT NULL,
	"product_id" text NOT NULL,
	"terminal_id" text NOT NULL,
	"grant_id" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"granted" integer DEFAULT 0 NOT NULL,
	"used" integer DEFAULT 0 NOT NULL,
	"reported" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stock_allowances_store_product_id_terminal_id_pk" PRIMARY KEY("store","product_id","terminal_id"),
	CONSTRAINT "stock_allowances_counts" CHECK ("stock_allowances"."granted" >= 0 AND "stock_allowances"."used" >= 0 AND "stock_allowances"."reported" >= 0 AND "stock_allowances"."version" >= 1)
);
--> statement-breakpoint
CREATE INDEX "allowance_lines_grant" ON "allowance_lines" USING btree ("store","product_id","terminal_id");