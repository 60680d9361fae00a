"""Influencer profiles, their social accounts, tiers and own sessions."""
