"""fail2ban on the hardened host bans a client that keeps failing to log in, and the ban blocks it: right after
hardening (before Coolify's Docker brings a firewall tool of its own, as on a worker) and on the finished server."""

from tests.server.conftest import Deployment, ban_blocks


def test_right_after_hardening_failed_logins_get_the_client_banned_and_blocked(deployment: Deployment) -> None:
    assert deployment.ban_after_hardening == "blocked"


def test_on_the_finished_server_failed_logins_get_the_client_banned_and_blocked(deployment: Deployment) -> None:
    assert ban_blocks(deployment.machine, deployment.client, deployment.deploy_key, deployment.admin_key) == "blocked"
