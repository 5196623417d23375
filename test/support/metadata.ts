/**
 * IdP metadata served by URL, for tests: a real HTTP server on 127.0.0.1 whose answers a test changes
 * (and which counts the fetches of each path), the metadata XML an IdP publishes, and an app (and the
 * service deps of a scheduled run) allowed to fetch from loopback, with the Node resolver.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, serviceDeps } from '../../src/app.js';
import { resolveHost } from '../../src/node/resolve-host.js';
import type { ServiceDeps } from '../../src/services/deps.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import type { TestApp } from './app.js';
import { testConfig } from './app.js';
import { escapeXml } from './test-idp.js';

const certificateBody = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

/** IdP metadata listing these signing certificates, in this order. */
export function idpMetadataXml(entityId: string, certificatesPem: string[], ssoUrl = 'https://idp.test/sso'): string {
  const keys = certificatesPem
    .map(
      (pem) =>
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>' +
        `<ds:X509Certificate>${certificateBody(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
    )
    .join('');
  return (
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${escapeXml(entityId)}">` +
    `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${keys}` +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${escapeXml(ssoUrl)}"/>` +
    '</md:IDPSSODescriptor></md:EntityDescriptor>'
  );
}

/** What the server answers on a path: metadata, a status, a redirect, or `bytes` of filler (with or without Content-Length). */
export type Answer =
  | { xml: string }
  | { status: number; body?: string }
  | { redirect: string; status?: number }
  | { bytes: number; declareLength: boolean };

export interface MetadataServer {
  /** http://127.0.0.1:<port> */
  base: string;
  port: number;
  answer(path: string, answer: Answer): void;
  /** How many requests reached this path. */
  fetches(path: string): number;
  close(): Promise<void>;
}

export async function startMetadataServer(): Promise<MetadataServer> {
  const answers = new Map<string, Answer>();
  const counts = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const answer = answers.get(path);
    if (!answer) {
      res.writeHead(404).end('not found');
    } else if ('xml' in answer) {
      res.writeHead(200, { 'Content-Type': 'application/samlmetadata+xml' }).end(answer.xml);
    } else if ('redirect' in answer) {
      res.writeHead(answer.status ?? 302, { Location: answer.redirect }).end();
    } else if ('bytes' in answer) {
      const chunk = Buffer.alloc(64 * 1024, 'a');
      res.writeHead(200, answer.declareLength ? { 'Content-Length': String(answer.bytes) } : {});
      // Written in chunks (no Content-Length: chunked encoding), so the cap must stop a stream, not a header.
      let left = answer.bytes;
      const more = () => {
        while (left > 0) {
          const piece = chunk.subarray(0, Math.min(chunk.length, left));
          left -= piece.length;
          if (!res.write(piece)) return void res.once('drain', more);
        }
        res.end();
      };
      res.on('error', () => {});
      more();
    } else {
      res.writeHead(answer.status).end(answer.body ?? '');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    answer: (path, answer) => void answers.set(path, answer),
    fetches: (path) => counts.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The app as Node serves it (the node:dns resolver), with loopback metadata URLs allowed or not. */
export function metadataApp(handle: DatabaseHandle, options: { now: () => Date; allowLoopback: boolean }): TestApp {
  return createApp({
    config: { ...testConfig, metadataAllowLoopbackUrls: options.allowLoopback },
    database: { kind: handle.kind, db: handle.db },
    now: options.now,
    log: null,
    purgeEvery: 0,
    resolveHost,
  });
}

/** What the Node server's maintenance timer runs with. */
export function scheduledDeps(handle: DatabaseHandle, now: () => Date): ServiceDeps {
  return serviceDeps({ ...testConfig, metadataAllowLoopbackUrls: true }, handle.db, now, { resolveHost });
}
