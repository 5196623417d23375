CREATE TABLE "rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"count" integer NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "directory_user_deletions" (
	"company_id" text NOT NULL,
	"user_name_lower" text NOT NULL,
	"external_id" text,
	"emails_lower" text[] DEFAULT '{}'::text[] NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "directory_user_deletions_company_id_user_name_lower_pk" PRIMARY KEY("company_id","user_name_lower")
);
--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "aggregate_key" text;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "count" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "last_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "saml_requests" ADD COLUMN "browser_binding" text;--> statement-breakpoint
ALTER TABLE "directory_user_deletions" ADD CONSTRAINT "directory_user_deletions_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "rate_limits_expires_idx" ON "rate_limits" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "directory_user_deletions_emails_idx" ON "directory_user_deletions" USING gin ("emails_lower");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_company_aggregate_key" ON "audit_events" USING btree ("company_id","aggregate_key");--> statement-breakpoint
CREATE INDEX "saml_requests_company_created_idx" ON "saml_requests" USING btree ("company_id","created_at");