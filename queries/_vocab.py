"""Words of the scenario queries that the command line's help reads: levels and policies.

Kept apart from :mod:`oretrace.queries.feasibility` (which imports them) so that reading
them costs no networkx, numpy or pydantic: ``oretrace --help`` prints them.
"""

from __future__ import annotations

__all__ = ["LEVELS", "POLICY_SUMMARIES", "POLICY_TEXT"]

#: The levels at which failures and chokepoints are grouped.
LEVELS = ("facility", "company", "country")

#: What the ``{country}-denies-military`` policies do, in full.
POLICY_TEXT = ("{country} denies military end users: where a rule of the data (an export "
               "control of {country} with a clause denying military end users) is in force "
               "and not suspended at the date, every shipment on a platform's needed supply "
               "that the rule denies to a military end use stops (the shipment evaluation of "
               "`oretrace shipments`: from {country}, or from abroad under an "
               "extraterritorial clause); a shipment through a market cuts its supplier's "
               "link into the market")

#: Each policy of :data:`oretrace.queries.feasibility.POLICIES` by name, in one sentence.
POLICY_SUMMARIES: dict[str, str] = {
    "cn-denies-military": "Chinese rules denying military end users, where in force and not "
                          "suspended, cut links from China into platforms' supply chains",
}
