CREATE TABLE "webhook_deliveries" (
	"id" serial PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"endpoint_id" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_status" integer,
	"last_error" text,
	"last_attempt_at" timestamp with time zone,
	"dispatched_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_deliveries_event_endpoint_unique" UNIQUE("event_id","endpoint_id")
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"id" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"description" text,
	"events" text[] NOT NULL,
	"secret" text NOT NULL,
	"personal_data" boolean DEFAULT false NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"failing_since" timestamp with time zone,
	"disabled_at" timestamp with time zone,
	"disabled_reason" text,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_events" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"subject" text NOT NULL,
	"sequence" integer NOT NULL,
	"archive_key" text,
	"task_id" text,
	"batch_id" text,
	"data" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_events_subject_sequence_unique" UNIQUE("subject","sequence")
);
--> statement-breakpoint
CREATE TABLE "webhook_sequences" (
	"subject" text PRIMARY KEY NOT NULL,
	"last" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_event_id_webhook_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."webhook_events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_webhook_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."webhook_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_endpoint_idx" ON "webhook_deliveries" USING btree ("endpoint_id","id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_undispatched_idx" ON "webhook_deliveries" USING btree ("id") WHERE "webhook_deliveries"."dispatched_at" is null;--> statement-breakpoint
CREATE INDEX "webhook_events_created_at_idx" ON "webhook_events" USING btree ("created_at");--> statement-breakpoint
-- Webhooks, a transactional outbox: each event is written by a trigger in the transaction that changed what it
-- announces, with one delivery per enabled endpoint that wants it, and announced at commit on `webhook_events` (the
-- workers' dispatcher LISTENs, and sweeps for what it missed). Nothing is written when no endpoint wants the event.
-- `data` carries no personal data (no NIR, no name, no free text): an endpoint marked for personal data gets those
-- added when its delivery is sent (db/webhooks.ts). The sequence counts per invoice (per batch for batch.closed), in
-- commit order: the counter's row stays locked until the transaction ends.
CREATE OR REPLACE FUNCTION "webhook_emit"(p_type text, p_subject text, p_archive_key text, p_task_id text, p_batch_id text, p_data jsonb, p_endpoint text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_id text;
  v_sequence integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM "webhook_endpoints" WHERE "enabled" AND (("id" = p_endpoint) OR (p_endpoint IS NULL AND p_type = ANY("events")))) THEN
    RETURN NULL;
  END IF;
  INSERT INTO "webhook_sequences" ("subject", "last") VALUES (p_subject, 1)
    ON CONFLICT ("subject") DO UPDATE SET "last" = "webhook_sequences"."last" + 1
    RETURNING "last" INTO v_sequence;
  v_id := 'msg_' || replace(gen_random_uuid()::text, '-', '');
  INSERT INTO "webhook_events" ("id", "type", "subject", "sequence", "archive_key", "task_id", "batch_id", "data")
    VALUES (v_id, p_type, p_subject, v_sequence, p_archive_key, p_task_id, p_batch_id, p_data);
  INSERT INTO "webhook_deliveries" ("event_id", "endpoint_id")
    SELECT v_id, "id" FROM "webhook_endpoints"
    WHERE "enabled" AND (("id" = p_endpoint) OR (p_endpoint IS NULL AND p_type = ANY("events")));
  PERFORM pg_notify('webhook_events', v_id);
  RETURN v_id;
END;
$$;
--> statement-breakpoint
-- A claim decided (paid, a reply to the PS, closed: entering one of those from analysis or a manager's task) and its
-- reply e-mailed to the PS.
CREATE OR REPLACE FUNCTION "webhook_invoice_events"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_decided text[] := ARRAY['paid', 'awaiting_reply', 'replied', 'closed'];
  v_subject text := 'invoice:' || NEW."archive_key";
  v_data jsonb := jsonb_build_object(
    'archiveKey', NEW."archive_key", 'status', NEW."status", 'outcome', NEW."decision"->>'outcome', 'motif', NEW."motif",
    'route', NEW."route", 'batchId', NEW."batch_id", 'practitionerNumber', NEW."practitioner_number",
    'decidedAt', NEW."decided_at", 'receivedOn', NEW."received_on");
BEGIN
  IF NEW."status" = ANY(v_decided) AND NOT (OLD."status" = ANY(v_decided)) THEN
    PERFORM "webhook_emit"('invoice.decided', v_subject, NEW."archive_key", NULL, NEW."batch_id", v_data);
  END IF;
  IF NEW."status" = 'replied' AND OLD."status" <> 'replied' THEN
    PERFORM "webhook_emit"('invoice.replied', v_subject, NEW."archive_key", NULL, NEW."batch_id",
      v_data || jsonb_build_object('emailId', NEW."email_id", 'emailedAt', NEW."emailed_at"));
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "webhook_invoice_events" AFTER UPDATE OF "status" ON "invoices" FOR EACH ROW
  WHEN (OLD."status" IS DISTINCT FROM NEW."status") EXECUTE FUNCTION "webhook_invoice_events"();
--> statement-breakpoint
-- A manager task opened, and resolved (its action and motif; the comment and who resolved it are personal data).
CREATE OR REPLACE FUNCTION "webhook_task_events"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_data jsonb := jsonb_build_object(
    'taskId', NEW."id", 'archiveKey', NEW."archive_key", 'motif', NEW."motif", 'status', NEW."status",
    'batchId', NEW."batch_id", 'practitionerNumber', NEW."practitioner_number", 'createdAt', NEW."created_at", 'dueAt', NEW."due_at");
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM "webhook_emit"('task.created', 'invoice:' || NEW."archive_key", NEW."archive_key", NEW."id", NEW."batch_id", v_data);
  ELSIF NEW."status" = 'resolved' AND OLD."status" <> 'resolved' THEN
    PERFORM "webhook_emit"('task.resolved', 'invoice:' || NEW."archive_key", NEW."archive_key", NEW."id", NEW."batch_id",
      v_data || jsonb_build_object(
        'resolution', jsonb_build_object('action', NEW."resolution"->>'action', 'motif', NEW."resolution"->>'motif'),
        'resolvedAt', NEW."resolved_at"));
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "webhook_task_created" AFTER INSERT ON "manager_tasks" FOR EACH ROW EXECUTE FUNCTION "webhook_task_events"();
--> statement-breakpoint
CREATE TRIGGER "webhook_task_resolved" AFTER UPDATE OF "status" ON "manager_tasks" FOR EACH ROW
  WHEN (OLD."status" IS DISTINCT FROM NEW."status") EXECUTE FUNCTION "webhook_task_events"();
--> statement-breakpoint
-- A « document multi factures » closed « FIN OK » (the trigger fires on that change only).
CREATE OR REPLACE FUNCTION "webhook_batch_events"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM "webhook_emit"('batch.closed', 'batch:' || NEW."id", NULL, NULL, NEW."id", jsonb_build_object(
    'batchId', NEW."id", 'invoiceCount', NEW."invoice_count", 'receivedOn', NEW."received_on",
    'gtoClosure', NEW."gto_closure", 'closedAt', NEW."closed_at"));
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "webhook_batch_closed" AFTER UPDATE OF "status" ON "batches" FOR EACH ROW
  WHEN (NEW."status" = 'closed' AND OLD."status" IS DISTINCT FROM 'closed') EXECUTE FUNCTION "webhook_batch_events"();
--> statement-breakpoint
-- A test event for one endpoint (POST /api/webhooks/{id}/test): its id, or null when the endpoint is unknown or disabled.
CREATE OR REPLACE FUNCTION "webhook_ping"(p_endpoint text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN "webhook_emit"('webhook.test', 'endpoint:' || p_endpoint, NULL, NULL, NULL,
    jsonb_build_object('endpointId', p_endpoint, 'message', 'Test du point de réception'), p_endpoint);
END;
$$;
