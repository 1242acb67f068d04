CREATE TABLE "agica_records" (
	"id" serial PRIMARY KEY NOT NULL,
	"invoice_number" text NOT NULL,
	"invoice_number_key" text NOT NULL,
	"practitioner_number" text,
	"nir" text NOT NULL,
	"state" text NOT NULL,
	"date" date,
	"reject_reason" text,
	"paid_invoice_number" text,
	CONSTRAINT "agica_records_invoice_unique" UNIQUE NULLS NOT DISTINCT("invoice_number_key","nir","practitioner_number")
);
--> statement-breakpoint
CREATE TABLE "batches" (
	"id" text PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"invoice_count" integer NOT NULL,
	"status" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "beneficiaries" (
	"nir" text PRIMARY KEY NOT NULL,
	"last_name" text NOT NULL,
	"first_name" text NOT NULL,
	"last_name_key" text NOT NULL,
	"first_name_key" text NOT NULL,
	"birth_date" date,
	"birth_rank" integer,
	"insurer" text
);
--> statement-breakpoint
CREATE TABLE "cards" (
	"id" serial PRIMARY KEY NOT NULL,
	"beneficiary_nir" text NOT NULL,
	"position" integer NOT NULL,
	"insurer" text NOT NULL,
	"contract" text,
	"start" date NOT NULL,
	"end" date,
	"restituted_on" date,
	"restitution_reason" text,
	"columns" jsonb NOT NULL,
	CONSTRAINT "cards_beneficiary_position_unique" UNIQUE("beneficiary_nir","position")
);
--> statement-breakpoint
CREATE TABLE "catalogue" (
	"code" text PRIMARY KEY NOT NULL,
	"unit_price" numeric NOT NULL,
	"majoration" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "contract_rights" (
	"id" serial PRIMARY KEY NOT NULL,
	"beneficiary_nir" text NOT NULL,
	"position" integer NOT NULL,
	"start" date NOT NULL,
	"end" date,
	CONSTRAINT "contract_rights_beneficiary_position_unique" UNIQUE("beneficiary_nir","position")
);
--> statement-breakpoint
CREATE TABLE "insurers" (
	"name_key" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"control_threshold" numeric
);
--> statement-breakpoint
CREATE TABLE "invoices" (
	"id" text PRIMARY KEY NOT NULL,
	"archive_key" text NOT NULL,
	"workflow_id" text NOT NULL,
	"batch_id" text,
	"practitioner_number" text,
	"status" text NOT NULL,
	"motif" text,
	"route" text,
	"invoice" jsonb NOT NULL,
	"received_on" date NOT NULL,
	"decision" jsonb,
	"trace" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "invoices_archive_key_unique" UNIQUE("archive_key"),
	CONSTRAINT "invoices_workflow_id_unique" UNIQUE("workflow_id")
);
--> statement-breakpoint
CREATE TABLE "payment_acts" (
	"payment_id" integer NOT NULL,
	"position" integer NOT NULL,
	"code" text NOT NULL,
	"date" date NOT NULL,
	CONSTRAINT "payment_acts_payment_id_position_pk" PRIMARY KEY("payment_id","position")
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" serial PRIMARY KEY NOT NULL,
	"invoice_number" text,
	"practitioner_number" text,
	"nir" text NOT NULL,
	"insurer" text NOT NULL,
	"paid_on" date,
	CONSTRAINT "payments_natural_unique" UNIQUE NULLS NOT DISTINCT("nir","invoice_number","practitioner_number","insurer","paid_on")
);
--> statement-breakpoint
CREATE TABLE "practitioners" (
	"number" text PRIMARY KEY NOT NULL,
	"name" text,
	"header_email" text,
	"return_emails" text[] DEFAULT '{}'::text[] NOT NULL,
	"fax" text,
	"street_number" text,
	"street_number_complement" text,
	"street_type" text,
	"street_name" text,
	"address_complement" text,
	"postal_code" text,
	"city" text
);
--> statement-breakpoint
ALTER TABLE "cards" ADD CONSTRAINT "cards_beneficiary_nir_beneficiaries_nir_fk" FOREIGN KEY ("beneficiary_nir") REFERENCES "public"."beneficiaries"("nir") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contract_rights" ADD CONSTRAINT "contract_rights_beneficiary_nir_beneficiaries_nir_fk" FOREIGN KEY ("beneficiary_nir") REFERENCES "public"."beneficiaries"("nir") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_batch_id_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_acts" ADD CONSTRAINT "payment_acts_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "beneficiaries_name_key_idx" ON "beneficiaries" USING btree ("last_name_key","first_name_key");--> statement-breakpoint
CREATE INDEX "invoices_batch_idx" ON "invoices" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "invoices_status_idx" ON "invoices" USING btree ("status");--> statement-breakpoint
CREATE INDEX "invoices_practitioner_idx" ON "invoices" USING btree ("practitioner_number");--> statement-breakpoint
CREATE INDEX "payment_acts_code_date_idx" ON "payment_acts" USING btree ("code","date");