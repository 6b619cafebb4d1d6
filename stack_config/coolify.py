"""The `coolify` section: the Coolify installation on the main server (components/coolify.py)."""

from pydantic import Field

from stack_config.base import ConfigModel
from stack_config.types import CoolifyUserName, CoolifyVersion, Email


class CoolifySettings(ConfigModel):
    # 4.3.19: the release named in Coolify's config/constants.php at its newest install.sh we could
    # read (checked 2026-11-25); bump it deliberately, staging first.
    version: CoolifyVersion = Field(
        default="4.3.19", description="Coolify release to install; a pinned version, never 'latest'."
    )
    admin_email: Email = Field(description="Email of Coolify's first admin (its login); the password is generated.")
    admin_username: CoolifyUserName = Field(default="admin", description="Display name of Coolify's first admin.")
    close_direct_ports: bool = Field(
        default=True,
        description="Keep 8000/6001/6002 closed in the cloud firewall and on 127.0.0.1: the dashboard is reached "
        "through an SSH tunnel or on its domain over HTTPS. false opens them to adminCidrs, over plain HTTP.",
    )
