ALTER TABLE "invoices" ADD COLUMN "calculated_amount" numeric;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "calculated_rc" numeric;