"""Enforcing the incitement policy on the platform: post assessments, moderation, violations."""
