"""A real Debian server booted on this machine: systemd as PID 1 under systemd-nspawn, reached over SSH on 127.0.0.1.

What Hetzner does before a server first answers is played by cloud-init's NoCloud data source: the stack's
rendered user data and the public keys of its `SshKey`s are the seed, so the guest's first boot runs the
same cloud-init modules with the same input (Hetzner's own data source is replaced; network configuration
is left to slirp4netns, which has already configured the interface). The guest has a network namespace of
its own, user-mode networking into it (slirp4netns: every connection arrives from 10.0.2.2, DNS is
10.0.2.3), and one port forward from 127.0.0.1 to its port 22. Everything started here is stopped by PID.

Not reproduced: container memory limits. This machine kind binds the memory controller to cgroup v1 and the
guest sees only the unified hierarchy, without controllers, so the guest's Docker discards `--memory` and
`--memory-swap` (its HostConfig reports 0 and -1).

Root file systems are built with debootstrap from Debian's archive, like a cloud image (openssh-server,
cloud-init, curl, sudo), and cached as a tarball keyed by their recipe.
"""

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hetzner-coolify" / "real-server"
WORK_DIR = Path("/var/tmp")
MIRROR = "http://deb.debian.org/debian"
SECURITY_MIRROR = "http://deb.debian.org/debian-security"
HOST_TOOLS = (
    "debootstrap", "systemd-nspawn", "slirp4netns", "zstd", "ip", "nsenter", "losetup", "mkfs.ext4", "openssl",
)  # fmt: skip
CLIENT_ADDRESS = "10.0.2.2"
"""Where every connection from this machine appears to come from, inside the guest."""


@dataclass(frozen=True)
class DebianRelease:
    version: int
    codename: str


RELEASES = {12: DebianRelease(12, "bookworm"), 13: DebianRelease(13, "trixie")}
# What a Hetzner cloud image has that the steps rely on, on top of debootstrap's minimal base, and no more:
# whatever else a script takes for granted (a firewall tool, /etc/services) shows here. cloud-init comes in a
# second pass: debootstrap's resolver cannot satisfy its virtual dependencies.
BASE_PACKAGES = ("systemd-sysv", "dbus", "openssh-server", "sudo", "ca-certificates", "curl", "iproute2", "zstd")
CLOUD_PACKAGES = ("cloud-init",)
APT_SOURCES = """Types: deb
URIs: {mirror}
Suites: {codename} {codename}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: {security}
Suites: {codename}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
# cloud-init reads its seed from the disk instead of Hetzner's metadata service; the interface is
# configured already (slirp4netns), so cloud-init leaves networking alone.
CLOUD_INIT_SETTINGS = "datasource_list: [ NoCloud, None ]\nnetwork: {config: disabled}\n"
# A cloud image has a system locale; debootstrap leaves none, and bookworm's cloud-init then generates
# en_US.UTF-8 with Debian's locale-gen, which takes no locale argument, so update-locale refuses it and
# cloud-init ends in error (canonical/cloud-init@22.4.2:cloudinit/distros/debian.py:369-401). C.UTF-8 is
# built into glibc and needs no generation.
SYSTEM_LOCALE = "LANG=C.UTF-8\n"


class MachineError(RuntimeError):
    pass


def missing_host_tools() -> list[str]:
    return [tool for tool in HOST_TOOLS if shutil.which(tool) is None]


def run(command: Sequence[str], *, environment: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A host command that must succeed; its output is in the error when it does not."""
    result = subprocess.run(list(command), capture_output=True, text=True, check=False, env=environment)
    if result.returncode != 0:
        raise MachineError(f"{' '.join(command)} exited {result.returncode}: {result.stderr.strip()[-2000:]}")
    return result


def _recipe_key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


def root_filesystem(release: DebianRelease, cache_dir: Path = CACHE_DIR) -> Path:
    """The cached root file system tarball of `release`, built first when missing (90-220 s)."""
    key = _recipe_key(
        release.codename, *BASE_PACKAGES, *CLOUD_PACKAGES, APT_SOURCES, CLOUD_INIT_SETTINGS, SYSTEM_LOCALE
    )
    tarball = cache_dir / f"debian-{release.version}-{key}.tar.zst"
    if tarball.exists():
        return tarball
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hetzner-coolify-rootfs-", dir=WORK_DIR) as scratch:
        root = Path(scratch) / "root"
        run(["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", release.codename,
             str(root), MIRROR])  # fmt: skip
        (root / "etc/apt/sources.list").unlink(missing_ok=True)
        (root / "etc/apt/sources.list.d/debian.sources").write_text(
            APT_SOURCES.format(mirror=MIRROR, security=SECURITY_MIRROR, codename=release.codename)
        )
        (root / "etc/resolv.conf").write_text(Path("/etc/resolv.conf").read_text())
        environment = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        run(["chroot", str(root), "apt-get", "update", "-qq"], environment=environment)
        run(["chroot", str(root), "apt-get", "install", "-y", "-qq", "--no-install-recommends", *CLOUD_PACKAGES],
            environment=environment)  # fmt: skip
        run(["chroot", str(root), "apt-get", "clean"], environment=environment)
        # A cloud image has no host keys and no machine id of its own: both are made at first boot.
        for host_key in (root / "etc/ssh").glob("ssh_host_*"):
            host_key.unlink()
        (root / "etc/machine-id").write_text("")
        (root / "etc/cloud/cloud.cfg.d/90-hetzner-coolify-tests.cfg").write_text(CLOUD_INIT_SETTINGS)
        (root / "etc/default/locale").write_text(SYSTEM_LOCALE)
        (root / "etc/resolv.conf").write_text("nameserver 10.0.2.3\n")
        partial = tarball.with_suffix(".partial")
        run(["bash", "-o", "pipefail", "-c", 'tar -C "$1" --numeric-owner --xattrs -cf - . | zstd -q -T0 -3 -o "$2" -f',
             "archive", str(root), str(partial)])  # fmt: skip
        partial.rename(tarball)
    return tarball


@dataclass(frozen=True)
class Seed:
    """What Hetzner hands a new server: its name, the user data and the public keys of its `ssh_keys`."""

    hostname: str
    user_data: str
    public_keys: tuple[str, ...]


@dataclass
class Machine:
    """A booted guest, reached over SSH on 127.0.0.1:`port` (rehearsal.Client); `inside` runs a command in it
    from this host, for what a test observes, never for what the program does."""

    name: str
    directory: Path
    port: int
    release: DebianRelease
    devices: list[str] = field(default_factory=list)
    """Loop devices handed to the guest, by their host path."""
    _slirp: subprocess.Popen[bytes] | None = None
    _nspawn: subprocess.Popen[bytes] | None = None

    @property
    def root(self) -> Path:
        return self.directory / "root"

    @property
    def netns(self) -> str:
        return self.name

    def init_pid(self) -> int:
        """The guest's PID 1 as this host sees it: nspawn's child."""
        assert self._nspawn is not None
        children = Path(f"/proc/{self._nspawn.pid}/task/{self._nspawn.pid}/children").read_text().split()
        if not children:
            raise MachineError(f"{self.name} has no init process")
        return int(children[0])

    def inside(self, command: str, *, stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """`command` in the guest's namespaces, as its root: a test's look behind the scenes, never a step."""
        result = subprocess.run(
            ["nsenter", "-t", str(self.init_pid()), "-m", "-u", "-i", "-n", "-p", "--", "bash", "-c", command],
            input=stdin, capture_output=True, text=True, check=False, timeout=timeout,
        )  # fmt: skip
        if result.returncode != 0:
            raise MachineError(f"in {self.name}: {command} exited {result.returncode}: {result.stderr[-2000:]}")
        return result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _slirp_call(socket_path: Path, request: dict[str, object]) -> dict[str, object]:
    with socket.socket(socket.AF_UNIX) as api:
        api.connect(str(socket_path))
        api.sendall(json.dumps(request).encode())
        answer: dict[str, object] = json.loads(api.recv(65536))
    if "error" in answer:
        raise MachineError(f"slirp4netns refused {request}: {answer['error']}")
    return answer


CGROUP_HIERARCHIES = (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup/systemd"))


def _cgroups(name: str) -> list[Path]:
    """Where nspawn's processes go: a cgroup of their own in each hierarchy this host has (no systemd here)."""
    unified = Path("/sys/fs/cgroup/cgroup.procs")
    roots = [Path("/sys/fs/cgroup")] if unified.exists() else [path for path in CGROUP_HIERARCHIES if path.exists()]
    return [root / name for root in roots]


def _remove_cgroup(path: Path) -> None:
    if not path.exists():
        return
    for directory in sorted((p for p in path.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            directory.rmdir()
    with contextlib.suppress(OSError):
        path.rmdir()


def _write_seed(root: Path, seed: Seed, instance_id: str) -> None:
    nocloud = root / "var/lib/cloud/seed/nocloud"
    nocloud.mkdir(parents=True, exist_ok=True)
    keys = "".join(f"  - {key.strip()}\n" for key in seed.public_keys)
    (nocloud / "meta-data").write_text(
        f"instance-id: {instance_id}\nlocal-hostname: {seed.hostname}\npublic-keys:\n{keys}"
    )
    (nocloud / "user-data").write_text(seed.user_data)


def _wait_for_ssh(port: int, deadline_seconds: float, machine: Machine) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if machine._nspawn is not None and machine._nspawn.poll() is not None:
            console = (machine.directory / "console.log").read_text()[-3000:]
            raise MachineError(f"{machine.name} stopped while booting: {console}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
            connection.settimeout(5)
            if connection.recv(64).startswith(b"SSH-"):
                return
        time.sleep(0.5)
    raise MachineError(f"{machine.name} did not answer SSH within {deadline_seconds:.0f}s")


@contextlib.contextmanager
def booted(
    release: DebianRelease,
    seed: Seed,
    *,
    loop_images: Sequence[Path] = (),
    cache_dir: Path = CACHE_DIR,
    boot_seconds: float = 180,
) -> Iterator[Machine]:
    """Boot a fresh copy of `release` seeded with `seed`; every loop image becomes a device in the guest."""
    tarball = root_filesystem(release, cache_dir)
    name = f"hc-rehearsal-{os.getpid()}"
    directory = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=WORK_DIR))
    machine = Machine(name, directory, _free_port(), release)
    cgroups = _cgroups(name)
    try:
        machine.root.mkdir()
        run(["tar", "-C", str(machine.root), "--numeric-owner", "--xattrs", "--zstd", "-xf", str(tarball)])
        _write_seed(machine.root, seed, f"{name}-{time.time_ns()}")
        for image in loop_images:
            machine.devices.append(run(["losetup", "--find", "--show", str(image)]).stdout.strip())

        run(["ip", "netns", "add", name])
        api = directory / "slirp.sock"
        with (directory / "slirp.log").open("wb") as slirp_log:
            machine._slirp = subprocess.Popen(
                ["slirp4netns", "--configure", "--mtu=65520", "--disable-host-loopback", "--api-socket", str(api),
                 "--netns-type=path", f"/run/netns/{name}", "tap0"],
                stdout=subprocess.DEVNULL, stderr=slirp_log,
            )  # fmt: skip
        deadline = time.monotonic() + 10
        while not api.exists():
            if time.monotonic() > deadline:
                raise MachineError(f"slirp4netns did not start: {(directory / 'slirp.log').read_text()}")
            time.sleep(0.05)
        _slirp_call(api, {"execute": "add_hostfwd", "arguments": {
            "proto": "tcp", "host_addr": "127.0.0.1", "host_port": machine.port, "guest_port": 22}})  # fmt: skip

        for cgroup in cgroups:
            cgroup.mkdir(exist_ok=True)
        # nspawn starts in cgroups of its own: a shell moves itself there, then becomes nspawn.
        enter = 'for group in $CGROUPS; do echo $$ > "$group/cgroup.procs"; done; exec "$@"'
        # Each flag was found from a failure on this machine kind (../shared/notes/real-server.md).
        with (directory / "console.log").open("wb") as console:
            machine._nspawn = subprocess.Popen(
                ["sh", "-c", enter, "enter-cgroups", "systemd-nspawn", "-D", str(machine.root), "-M", name, "-b",
                 "--register=no", "--keep-unit", f"--network-namespace-path=/run/netns/{name}", "--resolv-conf=off",
                 "--timezone=off", "--link-journal=no", "--capability=CAP_NET_ADMIN,CAP_SYS_RESOURCE,CAP_IPC_LOCK",
                 "--system-call-filter=@keyring bpf", "--console=read-only",
                 *(f"--bind={device}" for device in machine.devices)],
                stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "CGROUPS": " ".join(map(str, cgroups)), "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY": "1",
                     "SYSTEMD_NSPAWN_API_VFS_WRITABLE": "network"},
            )  # fmt: skip
        _wait_for_ssh(machine.port, boot_seconds, machine)
        yield machine
    finally:
        _stop(machine, cgroups)


def _stop(machine: Machine, cgroups: list[Path]) -> None:
    if machine._nspawn is not None and machine._nspawn.poll() is None:
        # TERM asks nspawn for a clean shutdown of the guest.
        machine._nspawn.send_signal(signal.SIGTERM)
        try:
            machine._nspawn.wait(timeout=60)
        except subprocess.TimeoutExpired:
            machine._nspawn.kill()
            machine._nspawn.wait(timeout=30)
    if machine._slirp is not None and machine._slirp.poll() is None:
        machine._slirp.terminate()
        machine._slirp.wait(timeout=10)
    subprocess.run(["ip", "netns", "del", machine.name], capture_output=True, check=False)
    for device in machine.devices:
        subprocess.run(["losetup", "--detach", device], capture_output=True, check=False)
    for cgroup in cgroups:
        _remove_cgroup(cgroup)
    # Never delete through a mount that outlived the guest: it could be this host's own files.
    mounts = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    if any(Path(mount).is_relative_to(machine.directory) for mount in mounts):
        raise MachineError(f"something is still mounted under {machine.directory}; it is left in place")
    shutil.rmtree(machine.directory, ignore_errors=True)
