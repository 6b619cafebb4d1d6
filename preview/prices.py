"""Monthly prices for the cost estimate: EUR, net of VAT, EU locations.

Sources, as of the table's date (2026-11-25):
- Hetzner Cloud servers: the prices for new orders since Hetzner's price adjustment of 2026-06-15, as
  returned by its pricing API (`GET /v1/pricing`, snapshot of 2026-09-08) and listed on hetzner.com
  (whose figures include a primary IPv4, 0.50 more); CCX63 has no published figure since then and
  carries its April 2026 price.
- Primary IPs, volumes, load balancers and backups: unchanged by the June adjustment; primary IPv4
  0.50, IPv6 free, volumes 0.0572 per GB (API, 2026-05-27), backups 20 % of the server, LB11 7.49.
  LB21 and LB31 were not published in a source we could read: their prices are the pre-April 2026
  ones raised like LB11's (+39 %), marked unconfirmed in the estimate.
- Cloudflare R2: USD 0.015 per GB-month of standard storage, the first 10 GB free, no egress fees;
  converted at 0.87 EUR per USD.
"""

PRICE_TABLE_DATE = "2026-11-25"
PRICE_TABLE_SOURCE = "Hetzner pricing API and hetzner.com (2026-06-15 prices); Cloudflare R2 pricing"

SERVERS = {
    "cx23": 5.49, "cx33": 8.49, "cx43": 15.99, "cx53": 29.49,
    "cax11": 5.99, "cax21": 10.49, "cax31": 20.99, "cax41": 40.99,
    "cpx12": 11.49, "cpx22": 19.49, "cpx32": 35.49, "cpx42": 69.49, "cpx52": 100.49, "cpx62": 129.99,
    "ccx13": 42.99, "ccx23": 85.99, "ccx33": 138.49, "ccx43": 275.99, "ccx53": 533.49, "ccx63": 374.49,
}  # fmt: skip
LOAD_BALANCERS = {"lb11": 7.49, "lb21": 22.79, "lb31": 45.73}
UNCONFIRMED = frozenset({"ccx63", "lb21", "lb31"})

PRIMARY_IPV4 = 0.50
PRIMARY_IPV6 = 0.00
VOLUME_PER_GB = 0.0572
BACKUP_SHARE = 0.20

R2_PER_GB = round(0.015 * 0.87, 5)
R2_FREE_GB = 10
# Nothing in a stack says how large its backups are: the estimate assumes 14 sets (7 daily, 4 weekly,
# 3 monthly) of 1 GB each.
ASSUMED_BACKUP_GB = 14
