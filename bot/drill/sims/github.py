"""A fake GitHub Actions API: a workflow's runs and each run's jobs and steps."""

from __future__ import annotations

import re
from typing import Any

from bot.drill.sims.http import Recorded, Response, SimServer, json_response

TOKEN = "ghp_testTOKEN0123456789abcdefghijklmnop"
# deploy.yml of the runbook: lint, typecheck, test, build, deploy, one job.
DEFAULT_STEPS = (
    "Set up job",
    "Checkout",
    "Setup Node.js",
    "Install dependencies",
    "Lint (npx eslint .)",
    "Type check (npx tsc --noEmit)",
    "Test (npx vitest run)",
    "Build (npm run build)",
    "Deploy to Vercel (vercel --prod)",
    "Complete job",
)


def github_error(status: int, message: str, **headers: str) -> Response:
    body = {
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": str(status),
    }
    return json_response(body, status, **headers)


class SimGitHub(SimServer):
    """`runs` newest first and `jobs` by run id; `private` hides the repository from callers
    without `token`; `rate_limited` answers 403 with an exhausted rate limit."""

    def __init__(
        self,
        *,
        repository: str = "cheesom-max/AILEX",
        workflow: str = "deploy.yml",
        token: str = TOKEN,
        private: bool = False,
    ) -> None:
        super().__init__()
        self.repository = repository
        self.workflow = workflow
        self.token = token
        self.private = private
        self.rate_limited = False
        self.runs: list[dict[str, Any]] = []
        self.jobs: dict[int, list[dict[str, Any]]] = {}
        self._next_id = 9_000_000_001
        owner_repo = re.escape(repository)
        self.route("GET", rf"/repos/{owner_repo}/actions/workflows/(?P<wf>[^/]+)/runs")(self._runs)
        self.route("GET", rf"/repos/{owner_repo}/actions/runs/(?P<id>\d+)/jobs")(self._jobs)

    def _refusal(self, request: Recorded) -> Response | None:
        auth = request.headers.get("authorization")
        if auth is not None and auth != f"Bearer {self.token}":
            return github_error(401, "Bad credentials")
        if self.rate_limited:
            return github_error(
                403,
                "API rate limit exceeded for 203.0.113.7.",
                **{"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1750000000"},
            )
        if self.private and auth is None:
            return github_error(404, "Not Found")
        return None

    def _runs(self, request: Recorded, match: re.Match[str]) -> Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        if match["wf"] != self.workflow:
            return github_error(404, "Not Found")
        per_page = int(request.arg("per_page") or 30)
        return json_response({"total_count": len(self.runs), "workflow_runs": self.runs[:per_page]})

    def _jobs(self, request: Recorded, match: re.Match[str]) -> Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        jobs = self.jobs.get(int(match["id"]))
        if jobs is None:
            return github_error(404, "Not Found")
        return json_response({"total_count": len(jobs), "jobs": jobs})

    def add_run(
        self,
        *,
        conclusion: str | None = "success",
        status: str = "completed",
        failed_step: str | None = None,
        job_name: str = "build-and-deploy",
        steps: tuple[str, ...] = DEFAULT_STEPS,
        branch: str = "main",
    ) -> dict[str, Any]:
        """Add a run as the newest; with `failed_step`, that step fails and later ones skip."""
        run_id = self._next_id
        self._next_id += 1
        number = 100 + len(self.runs)
        base = f"https://github.com/{self.repository}/actions/runs/{run_id}"
        run = {
            "id": run_id,
            "name": "Deploy",
            "display_title": f"Deploy #{number}",
            "head_branch": branch,
            "head_sha": f"{run_id:040x}",
            "run_number": number,
            "event": "push",
            "status": status,
            "conclusion": conclusion if status == "completed" else None,
            "workflow_id": 161335,
            "html_url": base,
            "created_at": "2025-06-02T01:00:00Z",
            "updated_at": "2025-06-02T01:05:00Z",
        }
        self.runs.insert(0, run)
        step_list = []
        state = "success"
        for number_, name in enumerate(steps, start=1):
            if name == failed_step:
                state = "failure"
            elif state == "failure":
                state = "skipped"
            step_list.append(
                {
                    "name": name,
                    "status": "completed" if status == "completed" else "in_progress",
                    "conclusion": state if status == "completed" else None,
                    "number": number_,
                }
            )
        job_conclusion = "failure" if failed_step else conclusion
        self.jobs[run_id] = [
            {
                "id": run_id * 10,
                "run_id": run_id,
                "name": job_name,
                "status": status,
                "conclusion": job_conclusion if status == "completed" else None,
                "html_url": f"{base}/job/{run_id * 10}",
                "steps": step_list,
            }
        ]
        return run
