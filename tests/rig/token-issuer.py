#!/usr/bin/env python3
"""A small token issuer for the rig's "token" registry (distribution's
`auth: token` mode, the way Docker Hub authenticates), for tests only.

GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...]
  - Basic credentials, if sent, must be USER:PASSWORD, else 401 (and no token).
  - With them: pull and push on every repository.
  - Without them: pull on repositories under the public prefix, nothing else
    (the registry then answers 401 insufficient_scope, as Docker Hub does).
  Answers {"token", "access_token", "expires_in", "issued_at"}; the token is a
  JWT signed RS256 with the signing key, its certificate in the header's x5c
  (the registry trusts it through its rootcertbundle).

Serves HTTPS (the rig's server certificate) on 127.0.0.1 only. Each request
is logged as one line "token user=U scope=S granted=G" (or "refused ...") to
the log file, which the tests count to see tokens being reused.

Usage: token-issuer.py --port P --tls-cert C --tls-key K --sign-cert C
       --sign-key K --issuer I --service S --user U --password P
       --public-prefix public/ --log FILE
"""

import argparse
import base64
import binascii
import http.server
import json
import os
import secrets
import ssl
import subprocess
import sys
import time
import urllib.parse

LIFETIME = 300  # seconds

args = None


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der_b64(path):
    """The certificate as base64 DER (x5c wants standard base64, padded)."""
    der = subprocess.run(["openssl", "x509", "-in", path, "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return base64.b64encode(der).decode()


def sign_rs256(data):
    """RSASSA-PKCS1-v1_5 with SHA-256, which is what JWS RS256 is."""
    return subprocess.run(["openssl", "dgst", "-sha256", "-sign", args.sign_key],
                          input=data, check=True, capture_output=True).stdout


def make_jwt(subject, access):
    now = int(time.time())
    header = {"typ": "JWT", "alg": "RS256", "x5c": [args.x5c]}
    claims = {
        "iss": args.issuer,
        "sub": subject,
        "aud": args.service,
        "exp": now + LIFETIME,
        "nbf": now - 10,
        "iat": now,
        "jti": secrets.token_hex(16),
        "access": access,
    }
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(claims, separators=(",", ":")).encode()))
    return signing_input + "." + b64url(sign_rs256(signing_input.encode()))


def parse_scope(scope):
    """'repository:NAME:pull,push' -> (type, name, [actions]) or None.
    NAME may hold a ':' (a registry host:port); actions follow the last one."""
    typ, _, rest = scope.partition(":")
    name, sep, actions = rest.rpartition(":")
    if not typ or not sep or not name:
        return None
    return typ, name, [a for a in actions.split(",") if a]


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "skiff-rig-token-issuer"

    def log_message(self, fmt, *a):  # the access log goes to stderr
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % a))

    def record(self, line):
        with open(args.log, "a") as f:
            f.write(line + "\n")

    def reply(self, code, obj, extra=()):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def credentials(self):
        """(user, ok): ("", True) for anonymous, (user, False) for bad creds."""
        h = self.headers.get("Authorization", "")
        if not h:
            return "", True
        scheme, _, value = h.partition(" ")
        if scheme.lower() != "basic":
            return "", False
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "", False
        ok = secrets.compare_digest(user, args.user) and secrets.compare_digest(password, args.password)
        return user, ok

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/token":
            self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
            return
        q = urllib.parse.parse_qs(url.query)
        scopes = " ".join(q.get("scope", [])).split()
        service = q.get("service", [""])[0]
        user, ok = self.credentials()
        if service != args.service:
            self.record(f"refused user={user or '-'} service={service}: unknown service")
            self.reply(400, {"errors": [{"code": "DENIED", "message": f"unknown service '{service}'"}]})
            return
        if not ok:
            self.record(f"refused user={user or '-'} scope={','.join(scopes) or '-'}: bad credentials")
            self.reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                         "message": "incorrect username or password"}]},
                       [("WWW-Authenticate", 'Basic realm="skiff-rig-token-issuer"')])
            return
        access = []
        for scope in scopes:
            parsed = parse_scope(scope)
            if parsed is None or parsed[0] != "repository":
                continue
            typ, name, actions = parsed
            if user:
                granted = [a for a in actions if a in ("pull", "push")]
            elif name.startswith(args.public_prefix):
                granted = [a for a in actions if a == "pull"]
            else:
                granted = []
            if granted:
                access.append({"type": typ, "name": name, "actions": granted})
        token = make_jwt(user, access)
        granted = ";".join(f"{a['name']}:{','.join(a['actions'])}" for a in access) or "-"
        self.record(f"token user={user or '-'} scope={','.join(scopes) or '-'} granted={granted}")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.reply(200, {"token": token, "access_token": token, "expires_in": LIFETIME,
                         "issued_at": now})


def main():
    global args
    p = argparse.ArgumentParser(description="token issuer for skiff's test registry")
    for opt in ("tls-cert", "tls-key", "sign-cert", "sign-key", "issuer", "service",
                "user", "password", "public-prefix", "log"):
        p.add_argument("--" + opt, required=True)
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    args.x5c = cert_der_b64(args.sign_cert)
    # Fail now, not at the first request, if the key cannot sign.
    sign_rs256(b"probe")

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    print(f"token issuer on https://127.0.0.1:{args.port}/token (pid {os.getpid()})", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
