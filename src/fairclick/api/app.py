"""The API application factory: `create_api(settings, database)` → a FastAPI app under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from fairclick import __version__
from fairclick.api.limits import MAX_BODY_BYTES, BodySizeLimit
from fairclick.api.problems import install_problem_handlers
from fairclick.api.routes import (
    accounts,
    auth,
    campaigns,
    clicks,
    enrolments,
    influencers,
    links,
)
from fairclick.api.schemas import PROBLEM_RESPONSES
from fairclick.config import Settings
from fairclick.domain.clock import Clock, system_clock
from fairclick.store import Database

API_PREFIX = "/api/v1"


def create_api(settings: Settings, database: Database, clock: Clock = system_clock) -> FastAPI:
    """The API as an ASGI app serving `/api/v1/…` (OpenAPI at `/api/v1/openapi.json`).

    Every answer outside 2xx is a problem document; bodies over 1 MiB are refused before they
    are read. The server mounts this app as it is (paths keep their `/api/v1` prefix).
    """
    app = FastAPI(
        title="fairclick API",
        version=__version__,
        summary="Pay-per-click influencer links with honest counting",
        openapi_url=f"{API_PREFIX}/openapi.json",
        # No Swagger/ReDoc pages: they load their scripts from a CDN, and nothing here fetches
        # from outside at run time. The OpenAPI document feeds any local viewer.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.clock = clock
    install_problem_handlers(app)
    v1 = APIRouter(prefix=API_PREFIX, responses=PROBLEM_RESPONSES)
    for module in (auth, accounts, influencers, campaigns, enrolments, links, clicks):
        v1.include_router(module.router)
    app.include_router(v1)
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    return app
