"""What deserves an alert, to whom it goes, and its text: pure rules read from config/rules."""

from core.domain.alerts.findings import (
    Finding,
    family_findings,
    tier_change_finding,
    tier_drop_key,
    undetermined,
)
from core.domain.alerts.messages import Messages, Rendered, load_messages
from core.domain.alerts.routing import Audience, RecipientView, immediate_recipients
from core.domain.alerts.rules import AlertRules, load_alert_rules

__all__ = [
    "AlertRules",
    "Audience",
    "Finding",
    "Messages",
    "RecipientView",
    "Rendered",
    "family_findings",
    "immediate_recipients",
    "load_alert_rules",
    "load_messages",
    "tier_change_finding",
    "tier_drop_key",
    "undetermined",
]
