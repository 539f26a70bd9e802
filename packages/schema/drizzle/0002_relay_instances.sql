CREATE TABLE "relay_instances" (
	"id" text PRIMARY KEY NOT NULL,
	"secret_fingerprint" text NOT NULL,
	"secret_source" text NOT NULL,
	"host" text NOT NULL,
	"pid" integer NOT NULL,
	"beat_ms" integer NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen" timestamp with time zone DEFAULT now() NOT NULL
);
