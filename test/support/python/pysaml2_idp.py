"""A pysaml2 identity provider for the bridge's interoperability tests.

Reads one JSON request on stdin and writes one JSON answer on stdout; no network. The IdP's key pair,
entity ID and SSO URL come with every request (the script keeps no state). Actions:
  metadata     -> {"metadata": IdP metadata with only an HTTP-POST SingleSignOnService}
  respond      -> parses the SP's AuthnRequest (pysaml2 checks it against the SP metadata, and here it
                  must also pass the SAML protocol XSD pysaml2 ships), answers it:
                  {"request": {...what pysaml2 read...}, "samlResponse": base64}
  unsolicited  -> {"samlResponse": base64}, an IdP-initiated response for the SP of the metadata
Responses: "sign" is "assertion" (default), "response" or "both"; "algorithm" "sha1" keeps pysaml2's
own default (RSA-SHA1) instead of RSA-SHA256; "encrypt" ("tripledes-cbc", pysaml2's only choice, or
"aes256-cbc") encrypts the signed assertion.
The SP metadata given must pass the SAML metadata XSD pysaml2 ships.
A failure is {"error": "..."} with exit status 1.
"""
import base64
import functools
import json
import os
import shutil
import sys
import tempfile

import saml2.entity
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.xml.schema import schema_saml_metadata, schema_saml_protocol
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

XMLENC = "http://www.w3.org/2001/04/xmlenc#"
# xmlsec1's --session-key names for the content ciphers.
SESSION_KEYS = {"aes128-cbc": "aes-128", "aes256-cbc": "aes-256"}
PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


def idp_config(req, workdir):
    if req.get("spMetadata"):
        # pysaml2 checks only signed messages against the schema: our metadata is not, so check it here.
        schema_saml_metadata.validate(req["spMetadata"])
    key_file = os.path.join(workdir, "idp.key")
    cert_file = os.path.join(workdir, "idp.crt")
    with open(key_file, "w") as f:
        f.write(req["privateKeyPem"])
    with open(cert_file, "w") as f:
        f.write(req["certificatePem"])
    conf = {
        "entityid": req["entityId"],
        "service": {
            "idp": {
                # Only HTTP-POST: the SP must post its AuthnRequest (no HTTP-Redirect endpoint).
                "endpoints": {"single_sign_on_service": [(req["ssoUrl"], BINDING_HTTP_POST)]},
                "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                "policy": {"default": {"lifetime": {"minutes": 5}, "name_form": NAME_FORMAT_URI}},
                "want_authn_requests_signed": False,
            }
        },
        "key_file": key_file,
        "cert_file": cert_file,
        # pysaml2 signs and encrypts through the xmlsec1 command (Debian package xmlsec1).
        "xmlsec_binary": shutil.which("xmlsec1"),
        "crypto_backend": "xmlsec1",
        "metadata": {"inline": [req["spMetadata"]]} if req.get("spMetadata") else {},
    }
    config = IdPConfig()
    config.load(conf)
    return config


def use_cipher(server, cipher):
    """pysaml2 7.0 encrypts assertions with 3DES-CBC and offers no setting; AES is two arguments it
    does not pass (the EncryptedData template's method and xmlsec1's session key), supplied here."""
    if cipher == "tripledes-cbc":
        return
    saml2.entity.pre_encryption_part = functools.partial(saml2.entity.pre_encryption_part, msg_enc=XMLENC + cipher)
    encrypt_assertion = server.sec.encrypt_assertion
    server.sec.encrypt_assertion = lambda *args, **kwargs: encrypt_assertion(*args, key_type=SESSION_KEYS[cipher], **kwargs)


def response_for(server, req, in_response_to, destination, sp_entity_id):
    if req.get("encrypt"):
        use_cipher(server, req["encrypt"])
    email = req["nameId"]
    sign = req.get("sign", "assertion")
    response = server.create_authn_response(
        identity={name: values for name, values in req.get("attributes", {}).items()},
        in_response_to=in_response_to,
        destination=destination,
        sp_entity_id=sp_entity_id,
        userid=email,
        name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
        authn={"class_ref": PASSWORD},
        sign_assertion=sign in ("assertion", "both"),
        sign_response=sign in ("response", "both"),
        # To the encryption certificate of the SP metadata (pysaml2 looks it up by entity ID).
        encrypt_assertion=bool(req.get("encrypt")),
        # pysaml2 signs with RSA-SHA1 unless told otherwise; "sha1" keeps that default.
        **({} if req.get("algorithm") == "sha1" else {"sign_alg": SIG_RSA_SHA256, "digest_alg": DIGEST_SHA256}),
    )
    return base64.b64encode(str(response).encode("utf-8")).decode("ascii")


def respond(server, req):
    binding = BINDING_HTTP_POST if req["binding"] == "post" else BINDING_HTTP_REDIRECT
    parsed = server.parse_authn_request(req["samlRequest"], binding)
    if parsed is None:
        raise ValueError("pysaml2 could not read the AuthnRequest")
    # Unsigned, so pysaml2 skipped its schema check: run it on the XML it read (inflated for Redirect).
    schema_saml_protocol.validate(parsed.xmlstr.decode("utf-8") if isinstance(parsed.xmlstr, bytes) else parsed.xmlstr)
    message = parsed.message
    # Where to answer, as pysaml2 decides it: the request's ACS URL, which must be one of the SP metadata's.
    args = server.response_args(message, [BINDING_HTTP_POST])
    policy = message.name_id_policy
    request = {
        "id": message.id,
        "issuer": message.issuer.text if message.issuer is not None else None,
        "destination": message.destination,
        "acsUrl": message.assertion_consumer_service_url,
        "protocolBinding": message.protocol_binding,
        "nameIdFormat": policy.format if policy is not None else None,
        "answerTo": args["destination"],
        "answerBinding": args["binding"],
    }
    sp_entity_id = args["sp_entity_id"]
    saml_response = response_for(server, req, args["in_response_to"], args["destination"], sp_entity_id)
    return {"request": request, "samlResponse": saml_response}


def unsolicited(server, req):
    sp_entity_id = req["spEntityId"]
    acs = server.metadata.assertion_consumer_service(sp_entity_id, BINDING_HTTP_POST)
    if not acs:
        raise ValueError("the SP metadata has no HTTP-POST AssertionConsumerService")
    return {"samlResponse": response_for(server, req, None, acs[0]["location"], sp_entity_id)}


def main():
    req = json.load(sys.stdin)
    with tempfile.TemporaryDirectory() as workdir:
        config = idp_config(req, workdir)
        action = req["action"]
        if action == "metadata":
            answer = {"metadata": create_metadata_string(None, config=config, sign=False).decode("utf-8")}
        elif action == "respond":
            answer = respond(Server(config=config), req)
        elif action == "unsolicited":
            answer = unsolicited(Server(config=config), req)
        else:
            raise ValueError("unknown action " + repr(action))
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # the test prints the reason; no traceback parsing
        json.dump({"error": "%s: %s" % (type(error).__name__, error)}, sys.stdout)
        sys.exit(1)
