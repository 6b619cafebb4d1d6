"""Stand-ins for what the rehearsal cannot reach: Hetzner's API, Cloudflare R2, Coolify's CDN, Docker Hub.

Each plays only the effects a later step needs, and says what it does not reproduce:
- `HetznerVolume`: a sparse file formatted ext4 (as Hetzner formats a Volume with format=ext4), handed to
  the guest as a loop device at boot; attaching makes it appear as /dev/disk/by-id/scsi-0HC_Volume_<id>,
  the name Hetzner's attach gives it. Not reproduced: the size (1 GiB, not the configured GB) and
  hot-plug (the device is there from boot, its name appears at attach).
- `S3`: moto's S3 server in the guest's network namespace, on 127.0.0.1:443 with a certificate from a
  test CA the guest trusts, answering for the bucket endpoint's own name (the guest's /etc/hosts points
  it at 127.0.0.1). Not reproduced: R2's authentication (any key is accepted) and its jurisdictions.
- Coolify (`install_coolify`, coolify-installer-standin.sh): what the installer leaves that later steps
  use: Docker (Debian's, not Docker CE), the `coolify` network, /data/coolify/source/.env, root's keys as
  a first install leaves them, and Coolify's database `coolify-db` (a Postgres stand-in, not the
  official postgres:15-alpine) answering to `postgres` on the network as in Coolify's compose file.
  Not reproduced: the dashboard, the proxy, realtime, upgrades, Docker's address pool (daemon.json);
  so wait-for-coolify.sh and direct-ports.sh cannot run.
- `Images`: Postgres and Redis images built from Debian's packages (images/), tagged with the names the
  stack pins, cached as `docker save` archives.
"""

import hashlib
import json
import secrets
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from preview.engine import RecordedResource, RecordedStack
from preview.values import reveal
from stack_config.types import POSTGRES_IMAGE_FAMILIES, REDIS_IMAGE_FAMILIES
from tests.server.machine import CACHE_DIR, Machine, MachineError, root_filesystem, run
from tests.server.rehearsal import Client, Rehearsal

IMAGES_DIR = Path(__file__).parent / "images"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
COOLIFY_INSTALLER = Path(__file__).parent / "coolify-installer-standin.sh"
VOLUME_BYTES = 1 << 30
COOLIFY_NETWORK = "coolify"


@dataclass(frozen=True)
class Root:
    """Commands as root on the machine over SSH with the deploy key, as the program's own steps arrive."""

    client: Client
    key_file: Path

    def __call__(self, command: str, stdin: str = "", timeout: float = 900) -> str:
        result = self.client.run("root", self.key_file, command, stdin=stdin, timeout=timeout)
        if result.returncode != 0:
            raise MachineError(f"{command[:200]} exited {result.returncode}: {result.stderr[-3000:]}")
        return result.stdout


def volume_image(attachment: RecordedResource, directory: Path) -> Path:
    """The disk behind a Hetzner Volume the stack attaches."""
    image = directory / f"{attachment.name}.ext4"
    with image.open("wb") as disk:
        disk.truncate(VOLUME_BYTES)
    run(["mkfs.ext4", "-q", "-F", str(image)])
    return image


def attach_volume(machine: Machine, devices: dict[str, str], attachment: RecordedResource) -> None:
    """Hetzner's attach: the volume appears under its stable name."""
    volume_id = str(reveal(attachment.inputs)["volumeId"])
    machine.inside(
        f"mkdir -p /dev/disk/by-id && ln -sfn {devices[volume_id]} /dev/disk/by-id/scsi-0HC_Volume_{volume_id}"
    )


@dataclass
class S3:
    machine: Machine
    python: str
    directory: Path
    host: str
    ca_certificate: Path = field(init=False)
    _process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.ca_certificate = self.directory / "ca.crt"
        ca_key, key, request = self.directory / "ca.key", self.directory / "s3.key", self.directory / "s3.csr"
        certificate, names = self.directory / "s3.crt", self.directory / "san.ext"
        run(["openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-days", "2", "-subj", "/CN=Rehearsal CA",
             "-keyout", str(ca_key), "-out", str(self.ca_certificate)])  # fmt: skip
        run(["openssl", "req", "-newkey", "ed25519", "-nodes", "-subj", f"/CN={self.host}", "-keyout", str(key),
             "-out", str(request)])  # fmt: skip
        # The guest asks for the endpoint's name; this host's client, which resolves no name of the guest's,
        # for its address.
        names.write_text(f"subjectAltName=DNS:{self.host},IP:127.0.0.1\n")
        run(["openssl", "x509", "-req", "-in", str(request), "-CA", str(self.ca_certificate), "-CAkey", str(ca_key),
             "-CAcreateserial", "-days", "2", "-extfile", str(names), "-out", str(certificate)])  # fmt: skip
        with (self.directory / "moto.log").open("wb") as log:
            self._process = subprocess.Popen(
                ["ip", "netns", "exec", self.machine.netns, "env", "S3_IGNORE_SUBDOMAIN_BUCKETNAME=true", self.python,
                 "-m", "moto.server", "-H", "127.0.0.1", "-p", "443", "-c", str(certificate), "-k", str(key)],
                stdout=subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
        self.machine.inside(
            "install -m 0644 /dev/stdin /usr/local/share/ca-certificates/rehearsal-ca.crt && update-ca-certificates "
            f">/dev/null && printf '127.0.0.1 %s\\n' {shlex.quote(self.host)} >>/etc/hosts",
            stdin=self.ca_certificate.read_text(),
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.call("s3.list_buckets()['Buckets']")
                return
            except MachineError as error:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    log_text = (self.directory / "moto.log").read_text()
                    raise MachineError(f"the S3 stand-in did not start: {log_text}") from error
                time.sleep(0.5)

    def call(self, expression: str) -> Any:
        """`expression`, with `s3` a boto3 client of the stand-in, evaluated in the guest's network namespace."""
        program = (
            "import boto3, json\n"
            "s3 = boto3.client('s3', endpoint_url='https://127.0.0.1', aws_access_key_id='any',"
            f" aws_secret_access_key='any', region_name='us-east-1', verify='{self.ca_certificate}')\n"
            f"print(json.dumps({expression}, default=str))\n"
        )
        result = subprocess.run(
            ["ip", "netns", "exec", self.machine.netns, self.python, "-"],
            input=program, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise MachineError(f"the S3 stand-in refused {expression}: {result.stderr[-2000:]}")
        return json.loads(result.stdout)

    def create_bucket(self, name: str) -> None:
        self.call(f"s3.create_bucket(Bucket={name!r})['Location']")

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        keys: list[str] = self.call(
            f"[item['Key'] for page in s3.get_paginator('list_objects_v2').paginate(Bucket={bucket!r}, "
            f"Prefix={prefix!r}) for item in page.get('Contents', [])]"
        )
        return sorted(keys)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)


def endpoint_host(endpoint: str) -> str:
    host = urlparse(endpoint).hostname
    if not host:
        raise ValueError(f"no host in {endpoint}")
    return host


def image_family(image: str) -> str:
    name = image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
    if name in POSTGRES_IMAGE_FAMILIES:
        return "postgres"
    if name in REDIS_IMAGE_FAMILIES:
        return "redis"
    raise ValueError(f"no stand-in for the image {image}")


@dataclass
class Images:
    """Stand-in images in the guest's Docker, built once per recipe and cached on this host."""

    machine: Machine
    root: Root
    cache_dir: Path = CACHE_DIR
    _base: str = ""

    def _copy_in(self, source: Path) -> str:
        """A file of this host in the guest's /var/tmp; its path there."""
        shutil.copyfile(source, self.machine.root / "var/tmp" / source.name)
        return f"/var/tmp/{source.name}"

    def _base_image(self) -> str:
        """The guest's own release as a Docker image: the root file system the machine booted from."""
        if not self._base:
            self._base = f"hetzner-coolify-tests/debian:{self.machine.release.version}"
            archive = self._copy_in(root_filesystem(self.machine.release, self.cache_dir))
            self.root(f"zstd -dc {archive} | docker import - {self._base} >/dev/null && rm {archive}")
        return self._base

    def ensure(self, name: str) -> None:
        """The image `name` (e.g. postgres:17.6-bookworm) exists in the guest, as the stand-in of its family."""
        family = image_family(name)
        files = sorted((IMAGES_DIR / family).iterdir())
        recipe = hashlib.sha256(b"".join(path.name.encode() + path.read_bytes() for path in files)).hexdigest()[:12]
        local = f"hetzner-coolify-tests/{family}:{recipe}"
        archive = self.cache_dir / f"image-{family}-debian-{self.machine.release.version}-{recipe}.tar"
        if archive.exists():
            in_guest = self._copy_in(archive)
            self.root(f"docker load -q -i {in_guest} >/dev/null && rm {in_guest}")
        else:
            context = self.machine.root / "var/tmp" / f"context-{family}"
            shutil.copytree(IMAGES_DIR / family, context, dirs_exist_ok=True)
            in_guest = f"/var/tmp/{archive.name}"
            self.root(f"docker build -q --build-arg BASE={self._base_image()} -t {local} /var/tmp/{context.name} "
                      f">/dev/null && docker save -o {in_guest} {local}")  # fmt: skip
            shutil.move(self.machine.root / in_guest.lstrip("/"), archive)
        self.root(f"docker tag {local} {shlex.quote(name)}")


def pulled_image(container: RecordedResource, recording: RecordedStack) -> str:
    """What the container runs: its image id comes from a RemoteImage, whose tag names the same image in the guest
    (the recording's id is the mocks')."""
    (source,) = container.property_dependencies["image"]
    (image,) = [resource for resource in recording.of_type(REMOTE_IMAGE) if resource.urn == source]
    return str(reveal(image.inputs)["name"])


def docker_run_arguments(inputs: dict[str, Any], env_file: str, image: str) -> list[str]:
    """`docker run` for a docker:index/container:Container's inputs, running `image`. An input this does not
    translate is an error, so that nothing the program sends is dropped silently."""
    arguments = ["--detach", "--name", inputs["name"], "--env-file", env_file]
    handled = {"name", "envs", "image", "command", "wait", "waitTimeout"}
    for volume in inputs.get("volumes", []):
        arguments += ["--volume", f"{volume.get('volumeName') or volume['hostPath']}:{volume['containerPath']}"]
    for network in inputs.get("networksAdvanced", []):
        aliases = [f"--network-alias={alias}" for alias in network.get("aliases", [])]
        arguments += ["--network", network["name"], *aliases]
    for port in inputs.get("ports", []):
        arguments += ["--publish", f"{port.get('ip', '0.0.0.0')}:{port['external']}:{port['internal']}"]
    if "healthcheck" in inputs:
        check = inputs["healthcheck"]
        kind, *test = check["tests"]
        if kind != "CMD-SHELL":
            raise ValueError(f"healthcheck {kind} has no translation")
        arguments += ["--health-cmd", test[0], "--health-interval", check["interval"],
                      "--health-timeout", check["timeout"], "--health-retries", str(check["retries"]),
                      "--health-start-period", check["startPeriod"]]  # fmt: skip
    if "restart" in inputs:
        arguments += ["--restart", inputs["restart"]]
    if "memory" in inputs:
        arguments += ["--memory", f"{inputs['memory']}m"]
    if "memorySwap" in inputs:
        arguments += ["--memory-swap", f"{inputs['memorySwap']}m"]
    if "logDriver" in inputs:
        arguments += ["--log-driver", inputs["logDriver"]]
    arguments += [f"--log-opt={key}={value}" for key, value in inputs.get("logOpts", {}).items()]
    arguments += [f"--label={label['label']}={label['value']}" for label in inputs.get("labels", [])]
    handled |= {"volumes", "networksAdvanced", "ports", "healthcheck", "restart", "memory", "memorySwap",
                "logDriver", "logOpts", "labels"}  # fmt: skip
    if set(inputs) - handled:
        raise ValueError(f"container inputs without a translation: {sorted(set(inputs) - handled)}")
    return [*arguments, image, *inputs.get("command", [])]


def start_container(root: Root, container: RecordedResource, recording: RecordedStack) -> None:
    """The container as the Docker provider creates it, waiting for its healthcheck when `wait` is set."""
    inputs = reveal(container.inputs)
    env_file = f"/run/rehearsal-{inputs['name']}.env"
    arguments = docker_run_arguments(inputs, env_file, pulled_image(container, recording))
    root(f"install -m 0600 /dev/stdin {env_file} && docker run {shlex.join(arguments)} >/dev/null && rm {env_file}",
         stdin="".join(f"{entry}\n" for entry in inputs.get("envs", [])))  # fmt: skip
    if inputs.get("wait"):
        wait_healthy(root, inputs["name"], float(inputs.get("waitTimeout", 60)))


def wait_healthy(root: Root, container: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while (status := root(f"docker inspect -f '{{{{.State.Health.Status}}}}' {container}").strip()) != "healthy":
        if time.monotonic() > deadline:
            logs = root(f"docker logs --tail 40 {container} 2>&1")
            raise MachineError(f"container {container} is {status} after {seconds:.0f}s:\n{logs}")
        time.sleep(2)


def install_coolify(rehearsal: Rehearsal, root: Root, images: Images, step: RecordedResource) -> None:
    """What Coolify's installer leaves behind that later steps use (see the module's docstring)."""
    docker_packages = "docker.io docker-cli" if rehearsal.client.machine.release.version >= 13 else "docker.io"
    database_password = secrets.token_hex(16)
    environment = (f"APP_ID={secrets.token_hex(16)}\nAPP_KEY=base64:{secrets.token_urlsafe(32)}\n"
                   f"DB_USERNAME=coolify\nDB_PASSWORD={database_password}\n")  # fmt: skip
    root(f"DOCKER_PACKAGES={shlex.quote(docker_packages)} bash -s", stdin=COOLIFY_INSTALLER.read_text())
    root("install -m 0600 /dev/stdin /data/coolify/source/.env", stdin=environment)
    images.ensure("postgres:coolify-db")
    root(f"docker run --detach --name coolify-db --network {COOLIFY_NETWORK} --network-alias postgres "
         f"-e POSTGRES_USER=coolify -e POSTGRES_DB=coolify -e POSTGRES_PASSWORD={database_password} "
         "--health-cmd 'pg_isready -U coolify' --health-interval 2s postgres:coolify-db >/dev/null")  # fmt: skip
    wait_healthy(root, "coolify-db", 120)
    rehearsal.skip(step, "runs Coolify's installer from its CDN: played by the Coolify stand-in")


def stand_ins(rehearsal: Rehearsal, root: Root, images: Images, s3: S3, devices: dict[str, str]) -> None:
    """What plays each resource type, and each step that needs what this machine cannot reach."""
    machine = rehearsal.client.machine
    handlers: dict[str, Callable[[RecordedResource], object]] = {
        "script:install-coolify.sh": lambda step: install_coolify(rehearsal, root, images, step),
        "script:wait-for-coolify.sh": lambda step: rehearsal.skip(step, "waits for Coolify's dashboard"),
        "script:direct-ports.sh": lambda step: rehearsal.skip(step, "rewrites Coolify's compose files"),
        "hcloud:index/volumeAttachment:VolumeAttachment": lambda step: attach_volume(machine, devices, step),
        "cloudflare:index/r2Bucket:R2Bucket": lambda bucket: s3.create_bucket(reveal(bucket.inputs)["name"]),
        REMOTE_IMAGE: lambda image: images.ensure(reveal(image.inputs)["name"]),
        "docker:index/volume:Volume": lambda volume: root(f"docker volume create {reveal(volume.inputs)['name']}"),
        "docker:index/container:Container": lambda container: start_container(root, container, rehearsal.recording),
    }
    rehearsal.handlers.update(handlers)


WEBHOOK_RECEIVER = """
import http.server, json, pathlib, ssl, sys
port, certificate, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
log, failing = pathlib.Path(sys.argv[4]), pathlib.Path(sys.argv[5])
class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self):
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0)).decode()
        with log.open('a') as records:
            records.write(json.dumps({'method': self.command, 'path': self.path, 'headers': dict(self.headers),
                                      'body': body}) + '\\n')
        self.send_response(500 if failing.exists() else 200)
        # A length, so that curl stops reading there: OpenSSL 3 takes a TLS close without close_notify for an error.
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'OK')
    do_GET = do_POST = answer
    def log_message(self, *arguments):
        pass
server = http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(certificate, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
"""


@dataclass
class WebhookReceiver:
    """A webhook and heartbeat endpoint the guest reaches over https, as it would reach ntfy or healthchecks.io: a
    Python HTTP server in the guest's network namespace on 127.0.0.1:`port`, with a certificate from the S3
    stand-in's CA (which the guest trusts) for `host` (the guest's /etc/hosts points it at 127.0.0.1). It records
    every request; while `failing` is set it answers 500. Not reproduced: any real service's API."""

    machine: Machine
    python: str
    directory: Path
    host: str = "hooks.rehearsal.test"
    port: int = 8443
    _process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.directory / "webhook-requests.jsonl"

    @property
    def failing_flag(self) -> Path:
        return self.directory / "webhook-failing"

    def url(self, path: str) -> str:
        return f"https://{self.host}:{self.port}{path}"

    def start(self) -> None:
        ca_certificate, ca_key = self.directory / "ca.crt", self.directory / "ca.key"
        key, request, certificate = (self.directory / f"webhook.{suffix}" for suffix in ("key", "csr", "crt"))
        names = self.directory / "webhook-san.ext"
        run(["openssl", "req", "-newkey", "ed25519", "-nodes", "-subj", f"/CN={self.host}", "-keyout", str(key),
             "-out", str(request)])  # fmt: skip
        names.write_text(f"subjectAltName=DNS:{self.host}\n")
        run(["openssl", "x509", "-req", "-in", str(request), "-CA", str(ca_certificate), "-CAkey", str(ca_key),
             "-CAcreateserial", "-days", "2", "-extfile", str(names), "-out", str(certificate)])  # fmt: skip
        self.log.write_text("")
        self.failing_flag.unlink(missing_ok=True)
        with (self.directory / "webhook.log").open("wb") as errors:
            self._process = subprocess.Popen(
                ["ip", "netns", "exec", self.machine.netns, self.python, "-c", WEBHOOK_RECEIVER, str(self.port),
                 str(certificate), str(key), str(self.log), str(self.failing_flag)],
                stdout=subprocess.DEVNULL, stderr=errors,
            )  # fmt: skip
        self.machine.inside(f"grep -q ' {self.host}$' /etc/hosts || printf '127.0.0.1 %s\\n' {self.host} >>/etc/hosts")
        deadline = time.monotonic() + 30
        while subprocess.run(["ip", "netns", "exec", self.machine.netns, "curl", "-fsS", "--cacert",
                              str(ca_certificate), "--resolve", f"{self.host}:{self.port}:127.0.0.1",
                              self.url("/ready")], capture_output=True, check=False).returncode != 0:  # fmt: skip
            if time.monotonic() > deadline or self._process.poll() is not None:
                failure = (self.directory / "webhook.log").read_text()
                raise MachineError(f"the webhook receiver did not start: {failure}")
            time.sleep(0.5)
        self.take()

    def take(self) -> list[dict[str, Any]]:
        """The requests received since the last call."""
        lines = self.log.read_text().splitlines()
        self.log.write_text("")
        return [json.loads(line) for line in lines]

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
