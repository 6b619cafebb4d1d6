"""The `workers` section and the API token: what is refused, in one line that names the key."""

from typing import Any

from tests.stack_config.conftest import bad_values, problems

BAD_VALUES: list[tuple[str, dict[str, Any], str]] = [
    ("staging", {"workers": {"count": 30}},
     "hetzner-coolify:workers.count: 30 workers exceed the 25 targets of a lb11; use workers.loadBalancer.type "
     "lb21 or lb31"),
    ("staging", {"workers": {"count": -1}},
     "hetzner-coolify:workers.count: -1 is out of range; allowed: 0-100 (worker servers for Coolify's apps; 0 runs "
     "apps on the main server)"),
    ("staging", {"workers": {"count": 2, "type": "cx99"}},
     "hetzner-coolify:workers.type: 'cx99' is not a Hetzner server type; allowed: cx23, cx33, cx43, cx53, cax11, "
     "cax21, cax31, cax41, cpx12, cpx22, cpx32, cpx42, cpx52, cpx62, ccx13, ccx23, ccx33, ccx43, ccx53, ccx63"),
    ("staging", {"server": {"type": "ccx13", "location": "ash"}, "workers": {"count": 2, "type": "cx33"}},
     "hetzner-coolify:workers: type 'cx33' is not offered in 'ash', where the workers run; it is offered in fsn1, "
     "nbg1, hel1"),
    ("staging", {"workers": {"loadBalancer": {"type": "lb99"}}},
     "hetzner-coolify:workers.loadBalancer.type: 'lb99' is not a Hetzner load balancer type; allowed: lb11, lb21, "
     "lb31"),
    ("staging", {"domain": None, "workers": {"count": 1}},
     "hetzner-coolify:workers.count: workers need a domain: apps reach them through the load balancer by name"),
    ("staging", {"workers": {"count": 1, "loadBalancer": {"healthCheckLabel": "coolify"}}},
     "hetzner-coolify:workers.loadBalancer.healthCheckLabel: 'coolify' is not an app record of this stack; "
     "allowed: @, www, api"),
    ("staging", {"workers": {"loadBalancer": {"healthCheckLabel": "Bad_Label"}}},
     "hetzner-coolify:workers.loadBalancer.healthCheckLabel: 'Bad_Label' is not a record label; allowed: '@' "
     "(the environment's own name) or a DNS label"),
    ("staging", {"workers": {"count": 2, "loadBalancer": {"certificates": "http-01"}}},
     "hetzner-coolify:workers.loadBalancer.certificates: 'http-01' with 2 workers: Let's Encrypt's HTTP challenge "
     "for an app name reaches a worker at random through the load balancer, and certificates fail; use dns-01"),
    ("staging", {"workers": {"loadBalancer": {"certificates": "self-signed"}}},
     "hetzner-coolify:workers.loadBalancer.certificates: 'self-signed' is not one of the choices; allowed: dns-01, "
     "http-01"),
    ("staging", {"coolifyApiToken": "1|token-in-clear"},
     "hetzner-coolify:coolifyApiToken: must be set with `pulumi config set --secret`, not in clear in the stack "
     "file"),
]  # fmt: skip


@bad_values(BAD_VALUES)
def test_bad_value_gives_one_line_naming_the_key(stack: str, changes: dict[str, Any], expected: str) -> None:
    assert problems(stack, changes) == [expected]
