/**
 * The peer of the ACS benchmark: the least an ACS built on @node-saml/node-saml (what passport-saml
 * apps run) does per sign-in: read the form, `validatePostResponseAsync` (signature of the Assertion
 * with the IdP certificate, Issuer, Audience, the time windows with clock skew), answer 303.
 * No database, no replay cache, no session: the floor any Node SAML SP pays for verification.
 *
 * Configured by env PEER_CONFIG (JSON: port, idpCert, idpIssuer, spEntityId, acsUrl); listens on
 * 127.0.0.1 only. GET /healthz answers 200; GET /stats the counts of accepted and refused responses
 * and the last refusal, so the benchmark can show that the peer really verified what it was sent.
 *
 *   PEER_CONFIG='{"port":8081,...}' node --import tsx bench/peer-node-saml.ts
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';

interface PeerConfig {
  port: number;
  idpCert: string;
  idpIssuer: string;
  spEntityId: string;
  acsUrl: string;
  /** Same default tolerance as the product's verifier (DEFAULT_CLOCK_SKEW_MS). */
  acceptedClockSkewMs?: number;
}

const config = JSON.parse(process.env.PEER_CONFIG ?? 'null') as PeerConfig | null;
if (!config) throw new Error('PEER_CONFIG is required');

const saml = new SAML({
  idpCert: config.idpCert,
  issuer: config.spEntityId,
  audience: config.spEntityId,
  callbackUrl: config.acsUrl,
  idpIssuer: config.idpIssuer,
  // Okta and Entra sign the Assertion by default and not the Response: ask for exactly that.
  wantAssertionsSigned: true,
  wantAuthnResponseSigned: false,
  acceptedClockSkewMs: config.acceptedClockSkewMs ?? 120_000,
  // IdP-initiated sign-ins carry no InResponseTo; the product accepts them too.
  validateInResponseTo: ValidateInResponseTo.never,
});

const stats = { accepted: 0, refused: 0, lastRefusal: null as string | null };

/** The form body, capped at 1 MiB as any sane ACS would (the product caps the field at 256 KiB). */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 1024 * 1024) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function acs(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let samlResponse: string | null = null;
  try {
    samlResponse = new URLSearchParams(await readBody(req)).get('SAMLResponse');
  } catch {
    res.writeHead(413).end();
    return;
  }
  if (!samlResponse) {
    stats.refused++;
    res.writeHead(400, { 'Content-Type': 'text/plain' }).end('SAMLResponse missing');
    return;
  }
  try {
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: samlResponse });
    if (!profile?.nameID) throw new Error('no profile');
    stats.accepted++;
    res.writeHead(303, { Location: '/', 'Content-Length': '0' }).end();
  } catch (error) {
    stats.refused++;
    stats.lastRefusal = error instanceof Error ? error.message : String(error);
    res.writeHead(403, { 'Content-Type': 'text/plain' }).end('refused');
  }
}

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url?.endsWith('/acs')) {
    acs(req, res).catch(() => res.writeHead(500).end());
  } else if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
  } else if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(stats));
  } else {
    res.writeHead(404).end();
  }
});
// Keep-alive connections from the load generator stay open between requests, as the product's do.
server.keepAliveTimeout = 30_000;
server.listen(config.port, '127.0.0.1');

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
