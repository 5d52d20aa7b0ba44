"""A fake Supabase Auth (GoTrue) behind Supabase's API gateway: health, settings and the
password grant, with the `apikey` header check. Sign-ups are recorded so tests can prove none
was attempted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from typing import Any

from bot.drill.sims.http import Handler, Recorded, Response, SimServer, json_response

JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters"
CHECK_EMAIL = "oncall-check@ailex.app"
CHECK_PASSWORD = "check-Password-42!"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims: dict[str, Any], *, secret: str = JWT_SECRET, alg: str = "HS256") -> str:
    """An HS256-signed JWT, as Supabase issues for keys and sessions."""
    header = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256)
    return f"{header}.{payload}.{_b64(signature.digest())}"


ANON_KEY = make_jwt(
    {
        "iss": "supabase",
        "ref": "abcdefghijklmnop",
        "role": "anon",
        "iat": 1700000000,
        "exp": 2015576000,
    }
)


def gotrue_error(status: int, error_code: str, message: str) -> Response:
    return json_response({"code": status, "error_code": error_code, "msg": message}, status)


class SimSupabaseAuth(SimServer):
    """Attributes `google`, `email`, `disable_signup`, `health_status` and `accounts` steer it."""

    def __init__(self, anon_key: str = ANON_KEY) -> None:
        super().__init__()
        self.anon_key = anon_key
        self.google = True
        self.email = True
        self.disable_signup = False
        self.health_status = 200
        self.token_ttl = 3600
        self.accounts: dict[str, str] = {CHECK_EMAIL: CHECK_PASSWORD}
        self.route("GET", r"/auth/v1/health")(self._gateway(self._health))
        self.route("GET", r"/auth/v1/settings")(self._gateway(self._settings))
        self.route("POST", r"/auth/v1/token")(self._gateway(self._token))
        self.route("POST", r"/auth/v1/signup")(self._gateway(self._signup))

    def _gateway(self, handler: Handler) -> Handler:
        """The API gateway's key check in front of every Auth route."""

        def checked(request: Recorded, match: re.Match[str]) -> Response:
            key = request.headers.get("apikey")
            if not key:
                return json_response(
                    {
                        "message": "No API key found in request",
                        "hint": "No `apikey` request header or url param was found.",
                    },
                    401,
                )
            if key != self.anon_key:
                return json_response(
                    {
                        "message": "Invalid API key",
                        "hint": "Double check your Supabase `anon` or `service_role` API key.",
                    },
                    401,
                )
            return handler(request, match)

        return checked

    def _health(self, request: Recorded, match: re.Match[str]) -> Response:
        if self.health_status != 200:
            return json_response({"message": "upstream unavailable"}, self.health_status)
        return json_response(
            {
                "version": "v2.170.0",
                "name": "GoTrue",
                "description": "GoTrue is a user registration and authentication API",
            }
        )

    def _settings(self, request: Recorded, match: re.Match[str]) -> Response:
        return json_response(
            {
                "external": {
                    "anonymous_users": False,
                    "apple": False,
                    "email": self.email,
                    "github": False,
                    "google": self.google,
                    "phone": False,
                },
                "disable_signup": self.disable_signup,
                "mailer_autoconfirm": False,
                "phone_autoconfirm": False,
                "sms_provider": "twilio",
                "saml_enabled": False,
            }
        )

    def _token(self, request: Recorded, match: re.Match[str]) -> Response:
        if request.arg("grant_type") != "password":
            return gotrue_error(400, "validation_failed", "unsupported_grant_type")
        body = request.json() or {}
        email, password = body.get("email"), body.get("password")
        if not email or self.accounts.get(email) != password:
            return gotrue_error(400, "invalid_credentials", "Invalid login credentials")
        now = int(time.time())
        user_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, email))
        access = make_jwt(
            {
                "iss": f"{self.url}/auth/v1",
                "sub": user_id,
                "aud": "authenticated",
                "exp": now + self.token_ttl,
                "iat": now,
                "email": email,
                "role": "authenticated",
                "aal": "aal1",
                "session_id": str(uuid.uuid4()),
            }
        )
        return json_response(
            {
                "access_token": access,
                "token_type": "bearer",
                "expires_in": self.token_ttl,
                "expires_at": now + self.token_ttl,
                "refresh_token": "rt-" + uuid.uuid4().hex,
                "user": {
                    "id": user_id,
                    "aud": "authenticated",
                    "role": "authenticated",
                    "email": email,
                },
            }
        )

    def _signup(self, request: Recorded, match: re.Match[str]) -> Response:
        return json_response({"id": str(uuid.uuid4())}, 200)
