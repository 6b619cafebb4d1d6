"""The `server` and `adminSshKeys` sections: the Hetzner server that runs Coolify, and who may log in to it."""

from collections.abc import Iterator
from typing import Annotated

from pydantic import AfterValidator, Field

from stack_config import catalog
from stack_config.base import ConfigModel, KeyedValueError
from stack_config.types import AdminUser, LocationName, OpenSshPublicKey, ResourceName, ServerImage, ServerTypeName

DEPLOY_KEY_NAME = "deploy"


def _not_the_deploy_key(value: str) -> str:
    if value == DEPLOY_KEY_NAME:
        raise ValueError("is the generated deploy key's name; choose another")
    return value


class AdminSshKey(ConfigModel):
    name: Annotated[ResourceName, AfterValidator(_not_the_deploy_key)] = Field(
        description="Short name of the key's owner; becomes the Hetzner SSH key's name."
    )
    public_key: OpenSshPublicKey = Field(
        description="OpenSSH public key line: ssh-ed25519, ecdsa-sha2-* or ssh-rsa of at least 3072 bits."
    )


class ServerSettings(ConfigModel):
    type: ServerTypeName = Field(default="cx33", description="Hetzner server type (see stack_config/catalog.py).")
    location: LocationName = Field(default="nbg1", description="Hetzner location: fsn1, nbg1, hel1, ash, hil or sin.")
    image: ServerImage = Field(default="ubuntu-24.04", description="System image the bootstrap scripts support.")
    backups: bool = Field(description="Hetzner's daily server backups (+20 % of the server price).")
    admin_user: AdminUser = Field(
        default="ops", description="Non-root login with sudo, for the admin keys; root stays key-only for Coolify."
    )

    def problems(self) -> Iterator[KeyedValueError]:
        server_type = catalog.SERVER_TYPES[self.type]
        if server_type.vcpus < catalog.COOLIFY_MIN_VCPUS or server_type.memory_gb < catalog.COOLIFY_MIN_MEMORY_GB:
            yield KeyedValueError(
                "type",
                "{type!r} has {vcpus} vCPU and {memory} GB; Coolify needs at least "
                f"{catalog.COOLIFY_MIN_VCPUS} vCPU and {catalog.COOLIFY_MIN_MEMORY_GB} GB",
                type=self.type,
                vcpus=server_type.vcpus,
                memory=server_type.memory_gb,
            )
        if self.location not in server_type.locations:
            yield KeyedValueError(
                "location",
                "{location!r} does not offer {type!r}; it is offered in {offered}",
                location=self.location,
                type=self.type,
                offered=", ".join(server_type.locations),
            )
