ALTER TABLE "directory_users" ADD COLUMN "emails_lower" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
CREATE INDEX "directory_users_emails_idx" ON "directory_users" USING gin ("emails_lower");--> statement-breakpoint
UPDATE "directory_users" SET "emails_lower" = coalesce((
  SELECT array_agg(DISTINCT lower(e->>'value'))
  FROM jsonb_array_elements(CASE WHEN jsonb_typeof("attributes"->'emails') = 'array' THEN "attributes"->'emails' ELSE '[]'::jsonb END) e
  WHERE e->>'value' IS NOT NULL
), '{}'::text[]);
