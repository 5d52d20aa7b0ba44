"""A fake OpenAI API: GET /v1/models with a mode for each answer the key check must tell apart."""

from __future__ import annotations

import re
from typing import Any

from bot.drill.sims.http import Recorded, Response, SimServer, json_response

API_KEY = "sk-proj-test-AILEX0123456789abcdefSECRET"
MODES = ("ok", "invalid_key", "quota", "rate_limit", "server_error")


def openai_error(status: int, message: str, type_: str, code: str | None) -> Response:
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return json_response(body, status, **{"x-request-id": "req_fake0001"})


class SimOpenAI(SimServer):
    """`mode` picks the answer of /v1/models; a key other than `key` is always invalid."""

    def __init__(self, key: str = API_KEY) -> None:
        super().__init__()
        self.key = key
        self.mode = "ok"
        self.models = [
            {"id": model, "object": "model", "created": 1715367049, "owned_by": "system"}
            for model in ("gpt-4o", "gpt-4o-mini", "text-embedding-3-small")
        ]
        self.rate_headers = {
            "x-ratelimit-limit-requests": "10000",
            "x-ratelimit-remaining-requests": "9999",
            "x-ratelimit-reset-requests": "6ms",
            "x-ratelimit-limit-tokens": "30000000",
            "x-ratelimit-remaining-tokens": "29999990",
            "x-ratelimit-reset-tokens": "0s",
        }
        self.route("GET", r"/v1/models")(self._models)

    def healthy(self) -> bool:
        """Whether a call with the right key would succeed."""
        return self.mode == "ok"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def _models(self, request: Recorded, match: re.Match[str]) -> Response:
        given = request.headers.get("authorization", "").removeprefix("Bearer ")
        if self.mode == "invalid_key" or given != self.key:
            # The real message masks most of the key; echoing it whole is the harder test.
            return openai_error(
                401,
                f"Incorrect API key provided: {given}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                "invalid_request_error",
                "invalid_api_key",
            )
        if self.mode == "quota":
            return openai_error(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota",
                "insufficient_quota",
            )
        if self.mode == "rate_limit":
            response = openai_error(
                429,
                "Rate limit reached for requests. Limit: 10000 / min. Please try again in 6ms.",
                "requests",
                "rate_limit_exceeded",
            )
            response.headers.update({**self.rate_headers, "x-ratelimit-remaining-requests": "0"})
            return response
        if self.mode == "server_error":
            return openai_error(
                503, "The server is overloaded or not ready yet.", "server_error", None
            )
        body: dict[str, Any] = {"object": "list", "data": self.models}
        return json_response(body, 200, **self.rate_headers, **{"x-request-id": "req_fake0002"})
