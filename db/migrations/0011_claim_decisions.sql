CREATE TABLE "claim_decisions" (
	"id" text PRIMARY KEY NOT NULL,
	"archive_key" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"analysed" boolean NOT NULL,
	"decision" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "claim_decisions" ADD CONSTRAINT "claim_decisions_archive_key_invoices_archive_key_fk" FOREIGN KEY ("archive_key") REFERENCES "public"."invoices"("archive_key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "claim_decisions_archive_key_idx" ON "claim_decisions" USING btree ("archive_key","at");