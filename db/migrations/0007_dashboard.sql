ALTER TABLE "invoices" ADD COLUMN "decided_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "invoices_created_at_idx" ON "invoices" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "invoices_decided_at_idx" ON "invoices" USING btree ("decided_at");--> statement-breakpoint
CREATE INDEX "manager_tasks_created_at_idx" ON "manager_tasks" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "manager_tasks_resolved_at_idx" ON "manager_tasks" USING btree ("resolved_at");--> statement-breakpoint
CREATE INDEX "manager_tasks_escalated_at_idx" ON "manager_tasks" USING btree ("escalated_at");--> statement-breakpoint
-- Claims decided before this column existed: their last update is the best record of when.
UPDATE "invoices" SET "decided_at" = "updated_at" WHERE "status" IN ('paid', 'awaiting_reply', 'replied', 'closed') AND "decided_at" IS NULL;
