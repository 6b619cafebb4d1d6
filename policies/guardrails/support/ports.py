"""Ports that must never face the internet, and ports only administrators need, each with where it is documented."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyConfigSchema, PolicyResource

from .properties import get, strings


@dataclass(frozen=True)
class Service:
    name: str
    source: str
    """Where the port is documented: IANA's registry (its service name) or the project's own docs."""


IANA = "IANA service-names-port-numbers"

# Databases, caches, brokers, object stores, search engines and vector stores: their clients are apps on the
# same network, never the internet. Docker's API is root on the host.
DATA_PORTS: dict[int, Service] = {
    5432: Service("PostgreSQL", f"{IANA}: postgresql"),
    6379: Service("Redis", f"{IANA}: redis"),
    3306: Service("MySQL", f"{IANA}: mysql"),
    27017: Service("MongoDB", f"{IANA}: mongodb"),
    11211: Service("memcached", f"{IANA}: memcache"),
    5984: Service("CouchDB", "https://docs.couchdb.org/en/stable/setup/cluster.html#ports-and-firewalls"),
    9042: Service("Cassandra", "https://cassandra.apache.org/doc/latest/cassandra/architecture/guarantees.html"),
    8086: Service("InfluxDB", "https://docs.influxdata.com/influxdb/v2/reference/urls/"),
    7687: Service("Neo4j Bolt", "https://neo4j.com/docs/operations-manual/current/configuration/ports/"),
    26257: Service("CockroachDB", "https://www.cockroachlabs.com/docs/stable/recommended-production-settings"),
    8123: Service("ClickHouse HTTP", "https://clickhouse.com/docs/guides/sre/network-ports"),
    5672: Service("AMQP (RabbitMQ)", f"{IANA}: amqp"),
    5671: Service("AMQP over TLS", f"{IANA}: amqps"),
    9092: Service("Kafka", "https://kafka.apache.org/documentation/#brokerconfigs_listeners"),
    4222: Service("NATS", "https://docs.nats.io/running-a-nats-service/configuration#connectivity"),
    61616: Service("ActiveMQ OpenWire", "https://activemq.apache.org/components/classic/documentation/configuring-transports"),
    9000: Service("MinIO S3 API (or ClickHouse native)", "https://min.io/docs/minio/linux/reference/minio-server/minio-server.html"),
    9200: Service("Elasticsearch / OpenSearch", "https://www.elastic.co/guide/en/elasticsearch/reference/current/modules-network.html"),
    9300: Service("Elasticsearch transport", "https://www.elastic.co/guide/en/elasticsearch/reference/current/modules-network.html"),
    7700: Service("Meilisearch", "https://www.meilisearch.com/docs/learn/self_hosted/configure_meilisearch_at_launch"),
    8108: Service("Typesense", "https://typesense.org/docs/guide/install-typesense.html"),
    8983: Service("Solr", "https://solr.apache.org/guide/solr/latest/deployment-guide/taking-solr-to-production.html"),
    6333: Service("Qdrant HTTP", "https://qdrant.tech/documentation/guides/configuration/"),
    6334: Service("Qdrant gRPC", "https://qdrant.tech/documentation/guides/configuration/"),
    19530: Service("Milvus", "https://milvus.io/docs/configure_proxy.md"),
    2375: Service("Docker API", f"{IANA}: docker"),
    2376: Service("Docker API (TLS)", f"{IANA}: docker-s"),
}  # fmt: skip

# Logins, consoles and control planes: for the admin networks only.
ADMIN_PORTS: dict[int, Service] = {
    22: Service("SSH", f"{IANA}: ssh"),
    3389: Service("RDP", f"{IANA}: ms-wbt-server"),
    5900: Service("VNC", f"{IANA}: rfb"),
    6443: Service("Kubernetes API", "https://kubernetes.io/docs/reference/networking/ports-and-protocols/"),
    10250: Service("kubelet API", "https://kubernetes.io/docs/reference/networking/ports-and-protocols/"),
    2379: Service("etcd", "https://kubernetes.io/docs/reference/networking/ports-and-protocols/"),
    2380: Service("etcd peers", "https://kubernetes.io/docs/reference/networking/ports-and-protocols/"),
    8200: Service("Vault", "https://developer.hashicorp.com/vault/docs/configuration/listener/tcp"),
    8500: Service("Consul HTTP API", "https://developer.hashicorp.com/consul/docs/install/ports"),
    4646: Service("Nomad HTTP API", "https://developer.hashicorp.com/nomad/docs/install/production/requirements"),
    15672: Service("RabbitMQ management", "https://www.rabbitmq.com/docs/networking#ports"),
    9001: Service("MinIO console", "https://min.io/docs/minio/linux/administration/minio-console.html"),
    5601: Service("Kibana", "https://www.elastic.co/guide/en/kibana/current/settings.html"),
    9443: Service("Portainer", "https://docs.portainer.io/start/install-ce/server/docker/linux"),
    9090: Service("Cockpit (or Prometheus)", "https://cockpit-project.org/guide/latest/listen"),
    10000: Service("Webmin", "https://webmin.com/docs/"),
}  # fmt: skip

# Coolify's dashboard, realtime and terminal when reached by address: admin ports of stacks that install Coolify.
COOLIFY_PORTS: dict[int, Service] = {
    8000: Service("Coolify dashboard", "coollabsio/coolify@v4.3.10:docker-compose.prod.yml:25"),
    6001: Service("Coolify realtime", "coollabsio/coolify@v4.3.10:docker-compose.prod.yml:67"),
    6002: Service("Coolify terminal", "coollabsio/coolify@v4.3.10:docker-compose.prod.yml:68"),
}


def port_list(default: Mapping[int, Any], description: str) -> dict[str, Any]:
    """A config property holding a list of port numbers; `default` names the ports it lists."""
    return {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": 65535},
        "default": sorted(default),
        "description": description,
    }


DATA_PORTS_SCHEMA = PolicyConfigSchema(
    properties={"dataPorts": port_list(DATA_PORTS, "Ports that must never be reachable from the internet.")}
)


def config_ports(config: Mapping[str, Any], key: str, default: Mapping[int, Service]) -> dict[int, str]:
    """The ports configured under `key` (else `default`), by the name of their service where known."""
    ports = config.get(key)
    numbers = sorted(default) if ports is None else [int(port) for port in ports]
    return {number: default[number].name if number in default else f"port {number}" for number in numbers}


ADMIN_PORTS_SCHEMA = PolicyConfigSchema(
    properties={
        "adminPorts": port_list(
            ADMIN_PORTS,
            "Ports only administrators need; Coolify's 8000, 6001, 6002 join them in stacks that install it.",
        )
    }
)
# What runs a stack's setup on its servers, where a Coolify install shows: a remote command's inputs (None: all of
# them), a server's user data.
_SETUP_INPUTS = {"command:remote:Command": None, "hcloud:index/server:Server": "userData"}


def installs_coolify(resources: Iterable[PolicyResource]) -> bool:
    """Whether the stack installs Coolify: a remote command or a server's user data that mentions it."""
    for resource in resources:
        if resource.resource_type not in _SETUP_INPUTS:
            continue
        key = _SETUP_INPUTS[resource.resource_type]
        texts = strings(resource.props if key is None else get(resource.props, key))
        if any("coolify" in text.lower() for _, text in texts):
            return True
    return False


def admin_ports(config: Mapping[str, Any], resources: Iterable[PolicyResource]) -> dict[int, str]:
    """The admin ports of this stack: the configured ones, and Coolify's where the stack installs Coolify."""
    ports = config_ports(config, "adminPorts", ADMIN_PORTS)
    if installs_coolify(resources):
        ports.update({number: service.name for number, service in COOLIFY_PORTS.items()})
    return ports
