"""Authentication: challenges, credentials, tokens, and the rules for where they may go."""

from whichtag.auth.challenge import Challenge, parse_challenges
from whichtag.auth.credentials import Credentials

__all__ = ["Challenge", "Credentials", "parse_challenges"]
