"""The `coolify` section: the Coolify installation on the main server (components/coolify.py)."""

from pydantic import Field

from stack_config.base import ConfigModel
from stack_config.types import CoolifyUserName, CoolifyVersion, Email


class CoolifySettings(ConfigModel):
    # 4.7.7: "Latest" on https://github.com/coollabsio/coolify/releases/tag/v4.7.7 (released 2026-11-25,
    # read 2026-12-02). It carries the PHP2Shell fixes (CVE-2026-109618/-109619, first in 4.4.7 and 4.3.24)
    # and November's PHP 8.4.28, nginx and Node.js fixes, which no 4.3.x or 4.4.x release has. Coolify's
    # installer fetches the compose files its CDN serves now (coollabsio/coolify@v4.3.10:scripts/install.sh:
    # 777-786), whose layout (realtime inside the coolify container) only 4.4 and later run. Sentinel, the
    # subject of the other CVE, follows the CDN's versions.json whatever the pin. Bump it deliberately,
    # staging first.
    version: CoolifyVersion = Field(
        default="4.7.7", description="Coolify release to install; a pinned version, never 'latest'."
    )
    admin_email: Email = Field(description="Email of Coolify's first admin (its login); the password is generated.")
    admin_username: CoolifyUserName = Field(default="admin", description="Display name of Coolify's first admin.")
    close_direct_ports: bool = Field(
        default=True,
        description="Keep 8000/6001/6002 closed in the cloud firewall and on 127.0.0.1: the dashboard is reached "
        "through an SSH tunnel or on its domain over HTTPS. false opens them to adminCidrs, over plain HTTP.",
    )
