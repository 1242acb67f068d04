CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"key_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "manager_tasks" (
	"id" text PRIMARY KEY NOT NULL,
	"archive_key" text NOT NULL,
	"workflow_id" text NOT NULL,
	"batch_id" text,
	"practitioner_number" text,
	"motif" text NOT NULL,
	"status" text NOT NULL,
	"decision" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"escalated_at" timestamp with time zone,
	"assignee" text,
	"claimed_at" timestamp with time zone,
	"resolution" jsonb,
	"resolved_by" text,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"batch_id" text,
	"practitioner_number" text,
	"from_address" text NOT NULL,
	"to_address" text[] NOT NULL,
	"bcc_address" text[] DEFAULT '{}'::text[] NOT NULL,
	"subject" text NOT NULL,
	"html" text NOT NULL,
	"text" text NOT NULL,
	"archive_keys" text[] DEFAULT '{}'::text[] NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"provider_id" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "task_events" (
	"id" serial PRIMARY KEY NOT NULL,
	"task_id" text NOT NULL,
	"kind" text NOT NULL,
	"actor" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"details" jsonb
);
--> statement-breakpoint
CREATE TABLE "trame_files" (
	"id" text PRIMARY KEY NOT NULL,
	"batch_id" text,
	"row_count" integer NOT NULL,
	"content" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "batches" ADD COLUMN "gto_closure" text;--> statement-breakpoint
ALTER TABLE "batches" ADD COLUMN "closed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "email_id" text;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "emailed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "trame_id" text;--> statement-breakpoint
ALTER TABLE "manager_tasks" ADD CONSTRAINT "manager_tasks_archive_key_invoices_archive_key_fk" FOREIGN KEY ("archive_key") REFERENCES "public"."invoices"("archive_key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_events" ADD CONSTRAINT "task_events_task_id_manager_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."manager_tasks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "manager_tasks_status_idx" ON "manager_tasks" USING btree ("status","due_at");--> statement-breakpoint
CREATE INDEX "manager_tasks_archive_key_idx" ON "manager_tasks" USING btree ("archive_key");--> statement-breakpoint
CREATE INDEX "manager_tasks_motif_idx" ON "manager_tasks" USING btree ("motif");--> statement-breakpoint
CREATE INDEX "outbox_batch_idx" ON "outbox" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "outbox_status_idx" ON "outbox" USING btree ("status");--> statement-breakpoint
CREATE INDEX "task_events_task_idx" ON "task_events" USING btree ("task_id");--> statement-breakpoint
CREATE INDEX "trame_files_batch_idx" ON "trame_files" USING btree ("batch_id");