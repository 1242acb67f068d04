-- Every task event (created, claimed, released, escalated, resolved…), whoever writes it (API, worker), is announced
-- on the channel `task_events` at commit: the API replicas LISTEN and push it to the console (GET /api/events).
-- The payload names the task and what happened to it, never personal data (no NIR, no patient).
CREATE OR REPLACE FUNCTION "task_events_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('task_events', json_build_object(
    'id', NEW."id",
    'taskId', NEW."task_id",
    'archiveKey', (SELECT "archive_key" FROM "manager_tasks" WHERE "id" = NEW."task_id"),
    'kind', NEW."kind",
    'actor', NEW."actor",
    'at', NEW."at"
  )::text);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "task_events_notify" AFTER INSERT ON "task_events" FOR EACH ROW EXECUTE FUNCTION "task_events_notify"();
