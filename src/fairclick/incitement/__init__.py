"""Incitement detection: does a post ask people to click for the influencer's sake?

`classify(text, network=None) -> Assessment` (label, calibrated score, language, evidence,
model version) and `explain(assessment) -> str` for the influencer. The policy is in
DESIGN.md ("Incitement policy"); how it is enforced is in docs/incitement.md.
"""

from fairclick.incitement.assessment import Assessment, Evidence, Label, explain
from fairclick.incitement.model import Classifier, classify, get_classifier

__all__ = ["Assessment", "Classifier", "Evidence", "Label", "classify", "explain", "get_classifier"]
