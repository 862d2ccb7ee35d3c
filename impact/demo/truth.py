"""The known truth behind the demo data: effects, dates and parameters.

Estimators are checked against these constants, so each one is an exact expectation of
the generating process (not an approximation that happens to come out close).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Every event happens before DEMO_END; labels due later are not yet known.
DEMO_END = datetime(2026, 10, 31, tzinfo=UTC)
TIMEOUT_MS = 150.0  # a prediction slower than this falls back (served = false)

# 1. Churn-prevention model in a three-arm A/B test ------------------------------------
CHURN_MODEL = "churn-model"
EXPERIMENT = "churn-offer-test"
CONTROL = "control"
ARMS = ("control", "model-v1", "model-v2")
ARM_VERSION = {"control": "v1", "model-v1": "v1", "model-v2": "v2"}  # control: v1 in shadow
ASSIGN_START = datetime(2026, 9, 1, tzinfo=UTC)
ASSIGN_DAYS = 14
WINDOW_DAYS = 28  # analysis window after assignment; the pre-period has the same length
CHURN_THRESHOLD = 0.5
REVENUE_DATASET = "customer-revenue"
REGIONS = (  # the customers' sales regions (a segment of the revenue data)
    "region-north",
    "region-east",
    "region-south",
    "region-west",
    "region-central",
    "region-coast",
    "region-mountain",
    "region-valley",
)

# Latent spend per customer: lognormal with this mean, shared by pre and post periods.
REVENUE_CONTROL_MEAN = 40.0
REVENUE_SPEND_SIGMA = 0.7  # between customers
REVENUE_PERIOD_SIGMA = 0.20  # period-to-period noise around the latent spend
REVENUE_EFFECT = {"control": 0.0, "model-v1": 1.50, "model-v2": 2.50}  # per customer, 28 days

# Churn probability per customer ~ Beta(1, 4) (mean 0.20); an arm scales it, so retention
# is exactly 0.80 + effect in expectation.
CHURN_BETA = (1.0, 4.0)
RETENTION_CONTROL = 0.80
RETENTION_EFFECT = {"control": 0.0, "model-v1": 0.02, "model-v2": 0.04}
CHURN_SCORE_NOISE = {"v1": 0.9, "v2": 0.6}  # logit noise: v2 ranks churners better

# 2. Support-ticket triage rolled out site by site, in waves of whole regions ---------
TRIAGE_MODEL = "triage-model"
ROLLOUT_STUDY = "triage-rollout"
TICKETS_DATASET = "support-tickets"
WEEK0 = datetime(2026, 4, 27, tzinfo=UTC)  # a Monday
WEEKS = 26
# (region, support sites in it, adoption week index or None = never treated). A wave
# switches triage on in every site of its regions at once, and each region-week has its
# own shock (a local outage, a product launch), so errors are correlated within a region
# and the study clusters by region: 32 clusters, at least the 30 below which
# cluster-robust intervals are unreliable (impact.stats.did.twfe.FEW_CLUSTERS).
REGION_PLAN: tuple[tuple[str, int, int | None], ...] = (
    ("atlanta", 3, 6),
    ("austin", 2, 9),
    ("baltimore", 2, 12),
    ("boston", 4, 15),
    ("charlotte", 2, 18),
    ("chicago", 4, None),
    ("cleveland", 2, 6),
    ("dallas", 4, 9),
    ("denver", 3, 12),
    ("detroit", 3, 15),
    ("houston", 4, 18),
    ("indianapolis", 2, None),
    ("kansas-city", 2, 6),
    ("las-vegas", 2, 9),
    ("los-angeles", 4, 12),
    ("miami", 3, 15),
    ("milwaukee", 2, None),
    ("minneapolis", 3, 6),
    ("nashville", 2, 9),
    ("new-york", 4, 12),
    ("orlando", 2, 15),
    ("philadelphia", 3, None),
    ("phoenix", 3, 6),
    ("pittsburgh", 2, 9),
    ("portland", 3, 12),
    ("raleigh", 2, 18),
    ("sacramento", 2, None),
    ("salt-lake", 2, 6),
    ("san-antonio", 3, 9),
    ("san-diego", 3, 18),
    ("seattle", 4, 15),
    ("st-louis", 2, None),
)
TRIAGE_REGIONS = tuple(name for name, _, _ in REGION_PLAN)
# Sites are the study's units: "atlanta-1" … ; each inherits its region's adoption week.
SITE_REGION: dict[str, str] = {
    f"{name}-{k}": name for name, sites, _ in REGION_PLAN for k in range(1, sites + 1)
}
SITES = tuple(SITE_REGION)
_REGION_WEEK = {name: week for name, _, week in REGION_PLAN}
ADOPTION_WEEK: dict[str, int | None] = {s: _REGION_WEEK[r] for s, r in SITE_REGION.items()}
BASE_MINUTES = 30.0
REGION_EFFECT_RANGE = 4.0  # fixed region differences, uniform within ± this, in minutes
SITE_EFFECT_RANGE = 2.0  # and between sites of a region
REGION_WEEK_SD = 1.0  # the normal shock shared by a region's sites in one week
SITE_VOLUME = (0.8, 1.2)  # tickets per site-week relative to the mean, uniform
WEEK_EFFECT_AMPLITUDE = 2.0  # common seasonal swing in minutes
TICKET_NOISE = (4.0, 3.0)  # gamma(shape, scale) minus its mean: sd 6, never below -12


def triage_effect(event_week: int) -> float:
    """True change in handling minutes per ticket, `event_week` weeks after adoption."""
    if event_week < 0:
        return 0.0
    return -(3.0 + 0.25 * min(event_week, 8))  # −3.0 at adoption, −5.0 from week 8 on


def att(cohort_week: int, week: int) -> float:
    """True group-time ATT(g, t) on mean handling minutes (weeks are indices from WEEK0)."""
    return triage_effect(week - cohort_week)


def week_effect(week: int) -> float:
    """Common shock shared by every region (seasonality)."""
    import math

    return WEEK_EFFECT_AMPLITUDE * math.sin(2 * math.pi * week / 13)


def adoption_date(site: str) -> datetime | None:
    week = ADOPTION_WEEK[site]
    return None if week is None else WEEK0 + timedelta(weeks=week)


# 3. Fraud model with late labels and injected drift -----------------------------------
FRAUD_MODEL = "fraud-model"
CHARGEBACKS_DATASET = "chargebacks"
FRAUD_START = datetime(2026, 5, 1, tzinfo=UTC)
V4_FROM = datetime(2026, 8, 1, tzinfo=UTC)  # v3 before, v4 from this date
DRIFT_DATE = datetime(2026, 9, 15, tzinfo=UTC)
FRAUD_THRESHOLD = 0.7
FRAUD_RATE = 0.02
LABEL_DELAY_DAYS = (20.0, 60.0)  # labels arrive uniformly within this delay
CHARGEBACK_FEE = 15.0  # cost of a missed fraud = amount + fee
# Score ~ Beta(a, b): fraud by version; legitimate before / after the drift.
FRAUD_SCORE_BETA = {"v3": (5.0, 2.0), "v4": (7.0, 2.0)}
LEGIT_SCORE_BETA = {"before": (1.5, 10.0), "after": (3.0, 8.0)}
MERCHANTS = ("grocery", "fuel", "restaurants", "electronics", "travel", "gift-cards")
LEGIT_MERCHANT_P = (0.35, 0.2, 0.25, 0.1, 0.08, 0.02)
FRAUD_MERCHANT_P = (0.05, 0.05, 0.05, 0.35, 0.2, 0.3)

# 4. Home-page recommendations in a two-arm A/B test: a small, unclear lift in order
# value, and more returns than the study tolerates (its guardrail) ----------------------
RECS_MODEL = "recs-model"
RECS_EXPERIMENT = "homepage-recs-test"
RECS_ARMS = ("control", "recs-v1")  # control sees the bestsellers list, never scored
ORDERS_DATASET = "orders"
RECS_START = datetime(2026, 8, 17, tzinfo=UTC)
RECS_ASSIGN_DAYS = 14
RECS_WINDOW_DAYS = 28  # analysis window after assignment; the pre-period has the same length
# Latent order value per shopper over 28 days: lognormal with this mean, shared by periods.
ORDER_CONTROL_MEAN = 60.0
ORDER_SPEND_SIGMA = 0.8
ORDER_PERIOD_SIGMA = 0.35
ORDER_EFFECT = {"control": 0.0, "recs-v1": 0.40}  # per shopper, 28 days: small
# Share of shoppers who send an order back within the window, and what the picks add.
RETURN_CONTROL = 0.10
RETURN_EFFECT = {"control": 0.0, "recs-v1": 0.03}
RETURN_TOLERANCE = 0.01  # the guardrail: returns may rise by at most one point
RECS_THRESHOLD = 0.5
