CREATE TABLE "backchannel_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"application_id" text NOT NULL,
	"session_id" text NOT NULL,
	"company_id" text NOT NULL,
	"user_id" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"claimed_until" timestamp with time zone,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "oidc_access_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"code_hash" text NOT NULL,
	"application_id" text NOT NULL,
	"session_id" text NOT NULL,
	"company_id" text NOT NULL,
	"user_id" text NOT NULL,
	"scope" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "oidc_applications" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"secrets" jsonb NOT NULL,
	"redirect_uris" jsonb NOT NULL,
	"post_logout_redirect_uris" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"initiate_login_uri" text,
	"backchannel_logout_uri" text,
	"is_default" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "oidc_authorizations" (
	"id" text PRIMARY KEY NOT NULL,
	"application_id" text NOT NULL,
	"company_id" text NOT NULL,
	"redirect_uri" text NOT NULL,
	"scope" text NOT NULL,
	"state" text,
	"nonce" text,
	"code_challenge" text NOT NULL,
	"login_hint" text,
	"browser_binding" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "oidc_codes" (
	"code_hash" text PRIMARY KEY NOT NULL,
	"application_id" text NOT NULL,
	"session_id" text NOT NULL,
	"company_id" text NOT NULL,
	"user_id" text NOT NULL,
	"redirect_uri" text NOT NULL,
	"scope" text NOT NULL,
	"nonce" text,
	"code_challenge" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "oidc_session_applications" (
	"session_id" text NOT NULL,
	"application_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "oidc_session_applications_session_id_application_id_pk" PRIMARY KEY("session_id","application_id")
);
--> statement-breakpoint
CREATE TABLE "oidc_signing_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"private_key_sealed" text NOT NULL,
	"activates_at" timestamp with time zone NOT NULL,
	"retires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_events" ALTER COLUMN "company_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "backchannel_deliveries" ADD CONSTRAINT "backchannel_deliveries_application_id_oidc_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."oidc_applications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oidc_access_tokens" ADD CONSTRAINT "oidc_access_tokens_application_id_oidc_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."oidc_applications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oidc_access_tokens" ADD CONSTRAINT "oidc_access_tokens_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oidc_authorizations" ADD CONSTRAINT "oidc_authorizations_application_id_oidc_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."oidc_applications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oidc_authorizations" ADD CONSTRAINT "oidc_authorizations_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oidc_codes" ADD CONSTRAINT "oidc_codes_application_id_oidc_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."oidc_applications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oidc_codes" ADD CONSTRAINT "oidc_codes_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oidc_session_applications" ADD CONSTRAINT "oidc_session_applications_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oidc_session_applications" ADD CONSTRAINT "oidc_session_applications_application_id_oidc_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."oidc_applications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "backchannel_deliveries_session_app" ON "backchannel_deliveries" USING btree ("session_id","application_id");--> statement-breakpoint
CREATE INDEX "backchannel_deliveries_due_idx" ON "backchannel_deliveries" USING btree ("next_attempt_at") WHERE "backchannel_deliveries"."delivered_at" is null;--> statement-breakpoint
CREATE INDEX "oidc_access_tokens_code_idx" ON "oidc_access_tokens" USING btree ("code_hash");--> statement-breakpoint
CREATE INDEX "oidc_access_tokens_expires_idx" ON "oidc_access_tokens" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "oidc_applications_one_default" ON "oidc_applications" USING btree ("is_default") WHERE "oidc_applications"."is_default";--> statement-breakpoint
CREATE INDEX "oidc_authorizations_expires_idx" ON "oidc_authorizations" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "oidc_codes_expires_idx" ON "oidc_codes" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "oidc_session_applications_app_idx" ON "oidc_session_applications" USING btree ("application_id");--> statement-breakpoint
CREATE INDEX "oidc_signing_keys_activates_idx" ON "oidc_signing_keys" USING btree ("activates_at");