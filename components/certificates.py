"""One wildcard certificate for the app names, on every worker behind the load balancer.

Each worker's proxy would ask Let's Encrypt for its certificates with the HTTP challenge, whose request
reaches a worker at random through the load balancer, so they fail with two workers or more
(coollabsio/coolify@v4.3.10:bootstrap/helpers/proxy.php:317). Instead, the main server gets one
certificate for the name space and its wildcard with the DNS challenge, through Cloudflare, renews it,
and hands it to the workers over the private network.

Children: an `AccountToken` for the zone's DNS (read the zone, write its records) and nothing else;
the push key (`tls.PrivateKey`, ED25519), authorized on each worker for the certificate receiver only
(`<name>-<n>-accept`); and the certificate job on the main server, run once at install (`<name>-install`),
after every worker accepts. The job hands certificates only to the host keys the workers were first met with.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare
import pulumi_tls as tls

from components.cloudflare_tokens import scoped_policy
from components.host import Host
from components.naming import Naming
from components.remote_steps import remote_step
from components.server_scripts import server_script, template_text
from components.templates import environment_file
from components.workers import Workers
from stack_config.dns import WILDCARD, DnsSettings, record_name

# Cloudflare permission groups "DNS Write" and "Zone Read"
# (https://developers.cloudflare.com/fundamentals/api/reference/permissions/).
DNS_WRITE = "4755a26eedb94da69e1066d98aa820be"
ZONE_READ = "c8fed203ed3043cba015a93ad1616f1f"


@dataclass(frozen=True)
class CertificatesArgs:
    dns: DnsSettings
    domain: str
    """The Cloudflare zone the names are in."""
    email: str
    """Let's Encrypt's account address, for expiry notices."""
    host: Host
    """The main server, which gets and renews the certificate."""
    workers: Workers
    naming: Naming
    after: Sequence[pulumi.Resource]
    """What must run on the main server first (a running Coolify)."""


def worker_known_hosts(private_ips: Sequence[str], host_keys: Sequence[str]) -> str:
    """known_hosts of the workers at their private addresses: the host keys recorded when each was first met
    over its public address (one sshd, one key, on every address)."""
    return "".join(f"{ip} {key}\n" for ip, key in zip(private_ips, host_keys, strict=True))


def certificate_domains(dns: DnsSettings, domain: str) -> list[str]:
    """The wildcard first: lego names the certificate's files after the first domain."""
    base = dns.base_name(domain)
    return [record_name(WILDCARD, base), base]


class Certificates(pulumi.ComponentResource):
    def __init__(self, name: str, args: CertificatesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("hetzner-coolify:certificates:Certificates", name, None, opts)
        zone = cloudflare.get_zone_output(
            zone_id=args.dns.zone_id,
            filter=None if args.dns.zone_id else cloudflare.GetZoneFilterArgs(name=args.domain, match="all"),
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        # Records of this zone and nothing else: what a DNS challenge needs.
        token = cloudflare.AccountToken(
            f"{name}-dns-token",
            account_id=zone.account.id,
            name=f"{args.naming.prefix}-certificates",
            policies=[
                scoped_policy(
                    [DNS_WRITE, ZONE_READ],
                    zone.zone_id.apply(lambda zone_id: f"com.cloudflare.api.account.zone.{zone_id}"),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["value"]),
        )
        push_key = tls.PrivateKey(f"{name}-push-key", algorithm="ED25519", opts=pulumi.ResourceOptions(parent=self))
        accepted = [
            remote_step(
                f"{name}-{index + 1}-accept",
                worker.access,
                "accept-certificates.sh",
                push_key.public_key_openssh.apply(
                    lambda key: {
                        "PUSH_KEY": key.strip(),
                        "RECEIVER": server_script("receive-certificate.sh").text,
                        "TRAEFIK_CONFIG": template_text("traefik-wildcard-certificate.yml"),
                    }
                ),
                parent=self,
                after=[worker.hardened],
            )
            for index, worker in enumerate(args.workers.servers)
        ]
        settings = {
            "DOMAINS": " ".join(certificate_domains(args.dns, args.domain)),
            "ACME_EMAIL": args.email,
            "WORKER_IPS": " ".join(args.workers.private_ips),
        }
        remote_step(
            f"{name}-install",
            args.host.access,
            "install-certificates.sh",
            pulumi.Output.all(*(worker.host_key for worker in args.workers.servers)).apply(
                lambda host_keys: {
                    "CERTIFICATES_SCRIPT": server_script("certificates.sh").text,
                    "CERTIFICATES_ENV": environment_file(settings),
                    "CERTIFICATES_SERVICE": template_text("hetzner-coolify-certificates.service"),
                    "CERTIFICATES_TIMER": template_text("hetzner-coolify-certificates.timer"),
                    "WORKER_KNOWN_HOSTS": worker_known_hosts(args.workers.private_ips, host_keys),
                }
            ),
            parent=self,
            after=[*accepted, *args.after],
            secrets={
                "CLOUDFLARE_DNS_API_TOKEN": pulumi.Output.secret(token.value),
                "CERTIFICATE_PUSH_KEY": pulumi.Output.secret(push_key.private_key_openssh),
            },
        )
        self.domains = certificate_domains(args.dns, args.domain)
        self.register_outputs({"domains": self.domains})
