CREATE TABLE "doctor_runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"ran_at" timestamp with time zone DEFAULT now() NOT NULL,
	"findings" jsonb NOT NULL,
	"repaired" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "batches" ADD COLUMN "received_on" date;--> statement-breakpoint
ALTER TABLE "batches" ADD COLUMN "conflicts" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "reply_by" text;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "adopted" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "error_kind" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "retries" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "last_attempt_at" timestamp with time zone;