"""The API's mount table: each context's router at its place under /api/v1/.

`config/urls.py` mounts `api.urls`, as it mounts the pages. The kit (`barnraise.api`) gives the
NinjaAPI that answers errors in one shape; the contexts give their routers; only this module
knows them all.
"""

from barnraise.accounts.api import auth_router, me_router
from barnraise.accounts.credentials_api import (
    attempts_router,
    portfolio_router,
    public_portfolio_router,
    skills_router,
    verifications_router,
)
from barnraise.api.health import router as health_router
from barnraise.api.root import BarnraiseAPI
from barnraise.catalog.api import categories_router
from barnraise.catalog.api import router as listings_router
from barnraise.catalog.photos_api import photos_router
from barnraise.commerce.api import events_router, offers_router, processes_router
from barnraise.commerce.api import router as transactions_router
from barnraise.commerce.checkout_api import router as checkout_router
from barnraise.commerce.disputes_api import router as disputes_router
from barnraise.ledger.api import payment_methods_router
from barnraise.ledger.api import router as ledger_router
from barnraise.ledger.paperwork_api import router as paperwork_router
from barnraise.ledger.webhooks_api import router as webhooks_router
from barnraise.messaging.api import inbox_router
from barnraise.messaging.api import router as messages_router
from barnraise.notifications.api import router as notifications_router
from barnraise.reputation.api import replies_router, reviews_router, users_router
from barnraise.search.api import places_router, search_router
from barnraise.search.api import router as saved_searches_router
from barnraise.trust.api import appeals_router, reports_router, standing_router

api = BarnraiseAPI(
    title="Barnraise API",
    version="1",
    description="Peer-to-peer marketplace API. Authenticate with `Authorization: Bearer <token>`.",
    urls_namespace="api",
)

api.add_router("", health_router)
api.add_router("/auth", auth_router)
api.add_router("/me", me_router)
api.add_router("/notifications", notifications_router)
api.add_router("/places", places_router)
api.add_router("/listings", search_router)
api.add_router("/listings", listings_router)
api.add_router("/listings", photos_router)
api.add_router("/categories", categories_router)
api.add_router("/saved-searches", saved_searches_router)
api.add_router("/transactions", checkout_router)
api.add_router("/transactions", transactions_router)
api.add_router("/transactions", disputes_router)
api.add_router("/listings", offers_router)
api.add_router("/processes", processes_router)
api.add_router("/events", events_router)
api.add_router("/transactions", messages_router)
api.add_router("/conversations", inbox_router)
api.add_router("/reports", reports_router)
api.add_router("/appeals", appeals_router)
api.add_router("/me", standing_router)
api.add_router("", ledger_router)
api.add_router("", payment_methods_router)
api.add_router("", paperwork_router)
api.add_router("/webhooks", webhooks_router)
api.add_router("/transactions", reviews_router)
api.add_router("/reviews", replies_router)
api.add_router("/users", users_router)
api.add_router("/me", verifications_router)
api.add_router("/me", portfolio_router)
api.add_router("/users", public_portfolio_router)
api.add_router("/skills-tests", skills_router)
api.add_router("/skills-attempts", attempts_router)
