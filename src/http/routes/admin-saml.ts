/** Company admin: the SAML connection (PUT from metadata XML or fields; GET shows it with certificate expiry). */
import { Hono } from 'hono';
import { configureSamlConnection, describeCertificate, requireSamlConnection, spUrls } from '../../services/saml-connection.js';
import type { SamlConnection } from '../../services/saml-connection.js';
import type { AppEnv } from '../env.js';
import { describe } from '../openapi-helpers.js';
import * as s from '../schemas.js';
import { validate } from '../validate.js';

const tag = 'Company admin';
/** A company API key, or the session of a signed-in admin (the admin page calls this API with its cookie). */
const security = 'companyAdmin' as const;

const SETUP_NOTES = [
  'Give your identity provider the ACS URL and the SP entity ID above, or the metadata URL.',
  'Microsoft Entra ID: leave the "Sign-on URL" field of the Basic SAML Configuration blank, or users see a password prompt instead of the SSO button for IdP-initiated sign-in.',
  'Just-in-time provisioning only works for IdP-initiated sign-in (the app tile in the IdP portal).',
];

function presentConnection(publicUrl: string, companyId: string, row: SamlConnection, now: Date) {
  const urls = spUrls(publicUrl, companyId);
  return {
    spEntityId: row.spEntityIdOverride ?? urls.entityId,
    acsUrl: row.acsUrlOverride ?? urls.acsUrl,
    metadataUrl: urls.metadataUrl,
    loginUrl: urls.loginUrl,
    idp: {
      entityId: row.idpEntityId,
      ssoUrl: row.ssoUrl,
      ssoBinding: row.ssoBinding,
      certificates: row.certificates.map((pem) => {
        const info = describeCertificate(pem);
        return {
          fingerprintSha256: info.fingerprintSha256,
          subject: info.subject,
          notBefore: info.notBefore.toISOString(),
          notAfter: info.notAfter.toISOString(),
          expired: info.notAfter.getTime() <= now.getTime(),
        };
      }),
    },
    allowSha1: row.allowSha1,
    attributeMapping: row.attributeMapping,
    encryptionCertificate: row.spEncryptionCertificate,
    updatedAt: row.updatedAt.toISOString(),
    setupNotes: SETUP_NOTES,
  };
}

export const adminSamlRoutes = new Hono<AppEnv>()
  .put(
    '/saml',
    describe({
      operationId: 'configureSamlConnection',
      summary: 'Configure SAML SSO from IdP metadata XML or {idpEntityId, ssoUrl, certificates, optional ssoBinding}',
      tag,
      security,
      responses: { 200: { description: 'Configured', schema: s.SamlConnection } },
      errors: [400, 401, 404, 413, 415],
    }),
    validate('json', s.SamlConnectionBody),
    async (c) => {
      const body = c.req.valid('json');
      const deps = c.get('deps');
      const companyId = c.get('authCompanyId');
      const idp = 'metadataXml' in body ? { metadataXml: body.metadataXml } : { idpEntityId: body.idpEntityId, ssoUrl: body.ssoUrl, ssoBinding: body.ssoBinding, certificates: body.certificates };
      const row = await configureSamlConnection(deps, c.get('actor'), companyId, {
        idp,
        allowSha1: body.allowSha1,
        attributeMapping: body.attributeMapping,
        spEntityId: body.spEntityId,
        acsUrl: body.acsUrl,
        spEncryption: body.spEncryption,
      });
      return c.json(presentConnection(deps.publicUrl, companyId, row, deps.now()));
    },
  )
  .get(
    '/saml',
    describe({ operationId: 'getSamlConnection', summary: 'The SAML connection, with each certificate and its expiry', tag, security, responses: { 200: { description: 'Connection', schema: s.SamlConnection } }, errors: [401, 404] }),
    async (c) => {
      const deps = c.get('deps');
      const companyId = c.get('authCompanyId');
      const row = await requireSamlConnection(deps, companyId);
      return c.json(presentConnection(deps.publicUrl, companyId, row, deps.now()));
    },
  );
