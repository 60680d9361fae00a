"""Enrichment data: what ships in the package and what `fairclick data update` installs.

Shipped (small, in the repo): `hosting_asns.csv` (curated hosting/cloud/VPN ASNs),
`fallback_ranges.csv` (a few real IP ranges so a fresh machine and the tests work).
Installed into the data directory (see `update.py`): `ip_ranges.npz` (IP → ASN, owner,
country), `ua_isbot.json` and `ua_crawlerdetect.json` (bot user-agent pattern lists) and
`manifest.json` (package, version, licence, sha256, fetched_at of every source).
"""

RANGES_FILE = "ip_ranges.npz"
ISBOT_FILE = "ua_isbot.json"
CRAWLERDETECT_FILE = "ua_crawlerdetect.json"
MANIFEST_FILE = "manifest.json"
