"""mount-volume.sh in a sandbox: an fstab line, a mount and the volume's marker, once; a foreign fstab entry is left
alone; the marker never lands on the root disk."""

from tests.components.scripts.conftest import Sandbox

DEVICE = "dev/disk/by-id/scsi-0HC_Volume_4242"
ENTRY = "/dev/disk/by-id/scsi-0HC_Volume_4242 /mnt/hetzner-coolify/postgres ext4 discard,nofail,defaults 0 0\n"
INPUTS = {"VOLUME_ID": "4242", "MOUNT_POINT": "/mnt/hetzner-coolify/postgres", "MARKER": ".hetzner-coolify-volume"}
MARKER = "mnt/hetzner-coolify/postgres/.hetzner-coolify-volume"


def attach(sandbox: Sandbox) -> None:
    (sandbox.root / DEVICE).parent.mkdir(parents=True)
    (sandbox.root / DEVICE).touch()


def test_mounts_once_and_converges(sandbox: Sandbox) -> None:
    attach(sandbox)
    first = sandbox.run("mount-volume.sh", INPUTS)
    assert first.returncode == 0, first.stderr
    assert (sandbox.root / "etc/fstab").read_text() == ENTRY
    assert sandbox.calls() == [f"mount {sandbox.root}/mnt/hetzner-coolify/postgres"]
    assert (sandbox.root / MARKER).read_text() == "Hetzner Volume 4242, mounted by hetzner-coolify\n"
    tree = sandbox.tree()
    second = sandbox.run("mount-volume.sh", INPUTS)
    assert second.returncode == 0
    assert sandbox.tree() == tree
    assert sandbox.calls() == []


def test_waits_for_the_device_then_gives_up(sandbox: Sandbox) -> None:
    result = sandbox.run("mount-volume.sh", {**INPUTS, "WAIT_SECONDS": "1"})
    assert result.returncode == 1
    assert "error: volume 4242 did not appear as /dev/disk/by-id/scsi-0HC_Volume_4242 within 1s" in result.stderr
    assert not (sandbox.root / "etc/fstab").exists()


def test_a_foreign_entry_for_the_mount_point_is_left_alone(sandbox: Sandbox) -> None:
    attach(sandbox)
    (sandbox.root / "etc/fstab").write_text("/dev/sdb1 /mnt/hetzner-coolify/postgres xfs defaults 0 0\n")
    result = sandbox.run("mount-volume.sh", INPUTS)
    assert result.returncode == 1
    assert "already mounts something else at /mnt/hetzner-coolify/postgres" in result.stderr
    assert (sandbox.root / "etc/fstab").read_text() == "/dev/sdb1 /mnt/hetzner-coolify/postgres xfs defaults 0 0\n"


def test_refuses_a_bad_volume_id(sandbox: Sandbox) -> None:
    result = sandbox.run("mount-volume.sh", {**INPUTS, "VOLUME_ID": "1; rm -rf /"})
    assert result.returncode == 1
    assert "is not a volume id" in result.stderr


def test_a_mount_that_did_not_take_leaves_no_marker_on_the_root_disk(sandbox: Sandbox) -> None:
    attach(sandbox)
    result = sandbox.run("mount-volume.sh", {**INPUTS, "MOUNT_DOES_NOTHING": "1"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "[mount-volume] error: /mnt/hetzner-coolify/postgres is not a mount point after mounting volume 4242"
    )
    assert not (sandbox.root / MARKER).exists()
