"""The `protection` section: what guards stateful resources (servers, addresses, volumes, buckets)."""

from pydantic import Field

from stack_config.base import ConfigModel


class ProtectionSettings(ConfigModel):
    protect: bool = Field(
        description="Pulumi `protect` on the server and its addresses: `pulumi destroy` refuses to delete them."
    )
    delete_protection: bool = Field(
        description="Hetzner delete and rebuild protection on the server and its addresses."
    )
