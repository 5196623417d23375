-- Connections get ids of their own; every existing connection keeps answering at its company's URLs
-- (company_urls), and the rows that hang off it (AuthnRequests, replay cache, sessions) are given its id.
ALTER TABLE "saml_connections" DROP CONSTRAINT "saml_connections_pkey";--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "id" text;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "name" text;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "enabled" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "company_urls" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "slo_url" text;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "slo_binding" text;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "allow_expired_certificates" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "certificate_warnings" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "clock_skew_seconds" integer DEFAULT 120 NOT NULL;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "idp_initiated_allowed" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "default_landing_path" text;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "sp_signing_certificate" text;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "sp_signing_key_sealed" text;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "sp_signing_previous_certificate" text;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "sign_authn_requests" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "metadata_url" text;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "metadata_fetched_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "metadata_next_refresh_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "metadata_last_error" text;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "retired_certificates" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD COLUMN "created_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "saml_replay_cache" ADD COLUMN "connection_id" text;--> statement-breakpoint
ALTER TABLE "saml_requests" ADD COLUMN "connection_id" text;--> statement-breakpoint
ALTER TABLE "saml_requests" ADD COLUMN "kind" text DEFAULT 'authn' NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "connection_id" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "name_id" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "name_id_format" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "session_index" text;--> statement-breakpoint
UPDATE "saml_connections" SET "id" = 'saml_' || substr(md5("company_id" || ':saml-connection:' || random()::text), 1, 16), "name" = 'SAML', "company_urls" = true, "created_at" = "updated_at";--> statement-breakpoint
ALTER TABLE "saml_connections" ALTER COLUMN "id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "saml_connections" ALTER COLUMN "name" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "saml_connections" ADD CONSTRAINT "saml_connections_pkey" PRIMARY KEY ("id");--> statement-breakpoint
UPDATE "saml_requests" r SET "connection_id" = c."id" FROM "saml_connections" c WHERE c."company_id" = r."company_id";--> statement-breakpoint
UPDATE "saml_replay_cache" r SET "connection_id" = c."id" FROM "saml_connections" c WHERE c."company_id" = r."company_id";--> statement-breakpoint
UPDATE "sessions" s SET "connection_id" = c."id" FROM "saml_connections" c WHERE c."company_id" = s."company_id";--> statement-breakpoint
ALTER TABLE "saml_requests" ADD CONSTRAINT "saml_requests_connection_id_saml_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."saml_connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_connection_id_saml_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."saml_connections"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "saml_connections_company_idp_entity_id" ON "saml_connections" USING btree ("company_id","idp_entity_id");--> statement-breakpoint
CREATE UNIQUE INDEX "saml_connections_company_urls" ON "saml_connections" USING btree ("company_id") WHERE "saml_connections"."company_urls";--> statement-breakpoint
CREATE INDEX "saml_connections_company_created_idx" ON "saml_connections" USING btree ("company_id","created_at");--> statement-breakpoint
CREATE INDEX "saml_connections_metadata_refresh_idx" ON "saml_connections" USING btree ("metadata_next_refresh_at");--> statement-breakpoint
CREATE INDEX "sessions_connection_name_id_idx" ON "sessions" USING btree ("connection_id","name_id");