/** The invitee's side: POST to the invitation URL confirms the account; GET shows a page with the button. */
import { Hono } from 'hono';
import { html } from 'hono/html';
import * as v from 'valibot';
import { acceptInvitation } from '../../services/users.js';
import type { AppEnv } from '../env.js';
import { NUL_IN_URL, describe } from '../openapi-helpers.js';
import { presentUser } from '../present.js';
import * as s from '../schemas.js';
import { validate } from '../validate.js';

const TokenParam = v.object({ token: v.pipe(v.string(), v.maxLength(100)) });
const tag = 'Invitations';

export const invitationRoutes = new Hono<AppEnv>()
  .get(
    '/:token',
    describe({ operationId: 'showInvitation', summary: 'A page with a button that accepts the invitation', tag, responses: { 200: { description: 'HTML page', mediaType: 'text/html' }, 400: NUL_IN_URL } }),
    (c) => {
      // A GET never confirms: mail scanners and link previews fetch URLs on their own.
      c.header('Cache-Control', 'no-store');
      return c.html(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Accept your invitation</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem">
<h1>Accept your invitation</h1>
<p>Confirm your account to start using the dashboard.</p>
<form method="post"><button type="submit">Confirm my account</button></form>
</body></html>`);
    },
  )
  .post(
    '/:token',
    describe({
      operationId: 'acceptInvitation',
      summary: 'Accept an invitation: the user is confirmed',
      tag,
      responses: { 200: { description: 'Confirmed (an HTML page instead when Accept names text/html)', schema: s.User } },
      errors: [404, 410],
    }),
    validate('param', TokenParam),
    async (c) => {
      const user = await acceptInvitation(c.get('deps'), c.req.valid('param').token);
      const body = presentUser(user, user.memberships);
      if (c.req.header('Accept')?.includes('text/html')) {
        return c.html(html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Account confirmed</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem; overflow-wrap: anywhere">
<h1>Your account is confirmed</h1><p>${user.email} can now sign in.</p></body></html>`);
      }
      return c.json(body, 200);
    },
  );
