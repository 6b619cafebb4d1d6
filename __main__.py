"""The stack: validated configuration in, components wired together, outputs out."""

from dataclasses import replace

import pulumi

from components.backups import BackupArgs, Backups, PostgresSource, R2Storage, S3Storage
from components.bootstrap import Logins
from components.coolify import Coolify, CoolifyArgs
from components.data_services import POSTGRES_HOST, DataServices, DataServicesArgs, PostgresOptions, RedisOptions
from components.dns import Dns, DnsArgs
from components.firewall_rules import main_server_rules
from components.host import Host, HostArgs, ServerSpec
from components.workers import Workers, WorkersArgs
from stack_config import load_from_pulumi
from stack_config.hetzner_catalog import NETWORK_ZONES

config = load_from_pulumi()
project = pulumi.get_project()
name = f"{project}-{config.environment}"
labels = {"environment": config.environment, "managed-by": "pulumi", "project": project}

server_spec = ServerSpec(
    name=name,
    server_type=config.server.type,
    location=config.server.location,
    image=config.server.image,
    backups=config.server.backups,
    labels=labels,
    protect=config.protection.protect,
    delete_protection=config.protection.delete_protection,
)
host = Host(
    "host",
    HostArgs(
        spec=server_spec,
        admin_ssh_keys={key.name: key.public_key for key in config.admin_ssh_keys},
        login_user=config.server.admin_user,
        firewall_rules=main_server_rules(config.admin_cidrs, direct_ports_open=not config.coolify.close_direct_ports),
    ),
)

logins = Logins(
    admin_user=config.server.admin_user,
    admin_public_keys=[key.public_key for key in config.admin_ssh_keys],
    deploy_public_key=host.deploy_public_key,
)
coolify = Coolify(
    "coolify",
    CoolifyArgs(
        server_id=host.server_id,
        host=host.ipv4_address,
        private_key=host.deploy_private_key,
        logins=logins,
        version=config.coolify.version,
        root_username=config.coolify.admin_username,
        root_email=config.coolify.admin_email,
        restrict_direct_ports=config.coolify.close_direct_ports,
    ),
)

workers = (
    Workers(
        "workers",
        WorkersArgs(
            count=config.workers.count,
            spec=replace(server_spec, server_type=config.workers.type, backups=False),
            network_zone=NETWORK_ZONES[config.server.location],
            ssh_key_ids=host.ssh_key_ids,
            private_key=host.deploy_private_key,
            logins=logins,
            admin_cidrs=config.admin_cidrs,
            main_server_id=host.server_id,
            main_ipv4=host.ipv4_address,
            main_ipv6_network=host.ipv6_network,
            coolify_ready=coolify.ready,
            coolify_api_token=pulumi.Output.secret(config.coolify_api_token.get_secret_value())
            if config.coolify_api_token
            else None,
            load_balancer_type=config.workers.load_balancer.type,
            health_check_host=config.hostname(config.workers.load_balancer.health_check_label),
        ),
    )
    if config.workers.count
    else None
)
balanced = workers is not None and config.workers.load_balancer.dns

dns = Dns(
    "dns",
    DnsArgs(
        domain=config.domain,
        zone_id=config.dns.zone_id,
        namespace=config.dns.namespace,
        records=config.dns.records(),
        dashboard_label=config.dns.dashboard,
        caa=config.dns.caa,
        ipv4_address=host.ipv4_address,
        ipv6_address=host.ipv6_address,
        comment=f"Managed by Pulumi ({project}/{pulumi.get_stack()})",
        app_ipv4_address=workers.load_balancer_ipv4 if workers and balanced else None,
        app_ipv6_address=workers.load_balancer_ipv6 if workers and balanced else None,
    ),
)

data = DataServices(
    "data",
    DataServicesArgs(
        name=name,
        server_id=host.server_id,
        host=host.ipv4_address,
        private_key=host.deploy_private_key,
        location=config.server.location,
        admin_user=config.server.admin_user,
        ssh_identity_file=config.docker.ssh_identity_file,
        coolify_ready=coolify.ready,
        postgres=PostgresOptions(**config.postgres.model_dump(exclude={"enabled"}))
        if config.postgres.enabled
        else None,
        redis=RedisOptions(**config.redis.model_dump(exclude={"enabled"})) if config.redis.enabled else None,
        protect=config.protection.protect,
        delete_protection=config.protection.delete_protection,
        labels=labels,
    ),
)

if config.backups.enabled:
    storage = config.backups.storage
    backups = Backups(
        "backups",
        BackupArgs(
            name=name,
            storage=R2Storage(storage.account_id or "", storage.jurisdiction, storage.location)
            if storage.kind == "r2"
            else S3Storage(
                storage.endpoint or "",
                storage.bucket or "",
                storage.region,
                *(pulumi.Output.secret(value) for value in config.backup_s3_credentials()),
            ),
            schedule=config.backups.schedule,
            age_recipient=config.backups.age_recipient,
            keep_daily=config.backups.retention.daily,
            keep_weekly=config.backups.retention.weekly,
            keep_monthly=config.backups.retention.monthly,
            ping_url=config.backups.ping_url,
            postgres=PostgresSource(POSTGRES_HOST, config.postgres.user, config.postgres.database)
            if config.postgres.enabled
            else None,
            server_id=host.server_id,
            host=host.ipv4_address,
            private_key=host.deploy_private_key,
            after=[coolify.ready, *([data.postgres_container] if data.postgres_container else [])],
            protect=config.protection.protect,
        ),
    )
    pulumi.export("backupEndpoint", backups.endpoint)
    pulumi.export("backupBucket", backups.bucket)
    pulumi.export("backupPrefix", backups.prefix)
    pulumi.export("backupAccessKeyId", backups.access_key_id)
    pulumi.export("backupSecretAccessKey", backups.secret_access_key)

pulumi.export("environment", config.environment)
pulumi.export("serverId", host.server_id)
pulumi.export("ipv4Address", host.ipv4_address)
pulumi.export("ipv6Address", host.ipv6_address)
pulumi.export("sshCommand", host.ssh_command)
pulumi.export("hostnames", dns.hostnames)
pulumi.export("dashboardHostname", dns.dashboard_hostname)
pulumi.export("deployPublicKey", host.deploy_public_key)
pulumi.export("deployPrivateKey", host.deploy_private_key)
pulumi.export("coolifyDashboardUrl", dns.dashboard_url)
pulumi.export("coolifyTunnelCommand", coolify.tunnel_command)
pulumi.export("coolifyAdminEmail", coolify.admin_email)
pulumi.export("coolifyAdminPassword", coolify.admin_password)
if data.database_url is not None:
    pulumi.export("databaseUrl", data.database_url)
    pulumi.export("postgresHost", data.postgres_host)
    pulumi.export("postgresTunnel", data.postgres_tunnel)
if data.redis_url is not None:
    pulumi.export("redisUrl", data.redis_url)
    pulumi.export("redisHost", data.redis_host)
if workers is not None:
    pulumi.export("workerPrivateIps", workers.private_ips)
    pulumi.export("loadBalancerIpv4", workers.load_balancer_ipv4)
    pulumi.export("loadBalancerIpv6", workers.load_balancer_ipv6)
    if workers.registration_steps is not None:
        pulumi.export("coolifyWorkerSteps", workers.registration_steps)
