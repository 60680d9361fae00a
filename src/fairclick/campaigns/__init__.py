"""Campaigns, their rate cards and lifecycle, and enrolments of influencers."""
