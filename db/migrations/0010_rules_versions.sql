ALTER TABLE "invoices" ADD COLUMN "rules_version" text;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "analysis" jsonb;--> statement-breakpoint
CREATE INDEX "invoices_rules_version_idx" ON "invoices" USING btree ("rules_version");