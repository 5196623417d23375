"""A Lasso identity provider for the bridge's interoperability tests.

Reads one JSON request on stdin and writes one JSON answer on stdout; no network. The IdP's key pair,
entity ID and SSO URL come with every request (the script keeps no state). Lasso does not write
metadata: its own is the usual hand-written one (HTTP-Redirect and HTTP-POST SingleSignOnService),
which Lasso then loads as its identity. Actions:
  metadata     -> {"metadata": ...}
  respond      -> Lasso reads the SP's AuthnRequest (checked against the SP metadata) and answers it:
                  {"request": {...what Lasso read...}, "samlResponse": base64}
  unsolicited  -> {"samlResponse": base64}, an IdP-initiated response for the SP of the metadata
Responses: "sign" is "assertion" (default) or "response" (Lasso then signs both, as our metadata
asks for signed assertions); "encrypt" ("aes256-cbc" or "tripledes-cbc") encrypts the signed assertion
(key transport RSA-OAEP).
A failure is {"error": "..."} with exit status 1.
"""
import json
import sys
import time
from xml.sax.saxutils import escape, quoteattr

import lasso

POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
BASIC = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"


def certificate_body(pem):
    return "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))


def metadata(req):
    sso = quoteattr(req["ssoUrl"])
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID=%s>'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="false">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate>'
        "</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        "<md:NameIDFormat>%s</md:NameIDFormat>"
        '<md:SingleSignOnService Binding="%s" Location=%s/>'
        '<md:SingleSignOnService Binding="%s" Location=%s/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    ) % (quoteattr(req["entityId"]), certificate_body(req["certificatePem"]), EMAIL, REDIRECT, sso, POST, sso)


def server_for(req):
    server = lasso.Server.newFromBuffers(metadata(req), req["privateKeyPem"], None, req["certificatePem"])
    server.signatureMethod = lasso.SIGNATURE_METHOD_RSA_SHA1 if req.get("algorithm") == "sha1" else lasso.SIGNATURE_METHOD_RSA_SHA256
    server.addProviderFromBuffer(lasso.PROVIDER_ROLE_SP, req["spMetadata"])
    if req.get("encrypt"):
        # To the encryption certificate of the SP metadata, with the content cipher asked for.
        cipher = {"aes256-cbc": lasso.ENCRYPTION_SYM_KEY_TYPE_AES_256, "tripledes-cbc": lasso.ENCRYPTION_SYM_KEY_TYPE_3DES}[req["encrypt"]]
        for provider in server.providers.values():
            provider.setEncryptionMode(lasso.ENCRYPTION_MODE_ASSERTION)
            provider.setEncryptionSymKeyType(cipher)
            provider.setKeyEncryptionMethod(lasso.KEY_ENCRYPTION_METHOD_OAEP)
    return server


def iso(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def answer(login, req):
    """Builds the signed assertion for the NameID and attributes, and the response to post to the ACS."""
    sign = req.get("sign", "assertion")
    # The response itself is signed only when asked; the assertion is signed by Lasso in either case.
    login.setSignatureHint(lasso.PROFILE_SIGNATURE_HINT_FORCE if sign in ("response", "both") else lasso.PROFILE_SIGNATURE_HINT_FORBID)
    now = time.time()
    login.buildAssertion(PASSWORD, iso(now), None, iso(now), iso(now + 300))
    assertion = login.assertion
    name_id = lasso.Saml2NameID()
    name_id.format = EMAIL
    name_id.content = req["nameId"]
    assertion.subject.nameID = name_id
    statement = lasso.Saml2AttributeStatement()
    attributes = []
    for name, values in req.get("attributes", {}).items():
        attribute = lasso.Saml2Attribute()
        attribute.name = name
        attribute.nameFormat = BASIC
        items = []
        for value in values:
            text = lasso.MiscTextNode()
            text.content = value
            text.textChild = True  # plain text content, not an element
            item = lasso.Saml2AttributeValue()
            item.any = (text,)
            items.append(item)
        attribute.attributeValue = tuple(items)
        attributes.append(attribute)
    if attributes:
        statement.attribute = tuple(attributes)
        assertion.attributeStatement = (statement,)
    login.buildAuthnResponseMsg()
    return {"samlResponse": login.msgBody, "acsUrl": login.msgUrl}


def respond(req):
    login = lasso.Login(server_for(req))
    if req["binding"] == "post":
        login.processAuthnRequestMsg(req["samlRequest"])
    else:
        # HTTP-Redirect: Lasso reads the query string of the URL the browser was sent to.
        login.processAuthnRequestMsg(req["query"])
    login.validateRequestMsg(True, True)
    request = login.request
    policy = request.nameIDPolicy
    parsed = {
        "id": request.iD,
        "issuer": request.issuer.content if request.issuer is not None else None,
        "destination": request.destination,
        "acsUrl": request.assertionConsumerServiceURL,
        "protocolBinding": request.protocolBinding,
        "nameIdFormat": policy.format if policy is not None else None,
        "remoteProviderId": login.remoteProviderId,
    }
    return {"request": parsed, **answer(login, req)}


def unsolicited(req):
    login = lasso.Login(server_for(req))
    login.initIdpInitiatedAuthnRequest(req["spEntityId"])
    login.request.protocolBinding = POST
    login.request.nameIDPolicy.format = EMAIL
    login.processAuthnRequestMsg(None)
    login.validateRequestMsg(True, True)
    return answer(login, req)


def main():
    req = json.load(sys.stdin)
    action = req["action"]
    if action == "metadata":
        result = {"metadata": metadata(req)}
    elif action == "respond":
        result = respond(req)
    elif action == "unsolicited":
        result = unsolicited(req)
    else:
        raise ValueError("unknown action " + repr(action))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # the test prints the reason
        json.dump({"error": "%s: %s" % (type(error).__name__, error)}, sys.stdout)
        sys.exit(1)
