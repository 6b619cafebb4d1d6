"""Files shipped to servers, kept as real files next to the components that use them."""

from pathlib import Path
from string import Template

TEMPLATE_DIR = Path(__file__).parent / "templates"


def render_template(file_name: str, variables: dict[str, str]) -> str:
    """Fill `${name}` placeholders; a placeholder without a value is an error, not an empty string."""
    return Template((TEMPLATE_DIR / file_name).read_text()).substitute(variables)


def environment_file(settings: dict[str, str]) -> str:
    """A systemd EnvironmentFile; values are validated upstream, and checked here once more."""
    for key, value in settings.items():
        if any(character in value for character in '"\\\n$`'):
            raise ValueError(f"{key} holds a character an environment file cannot carry: {value!r}")
    return "".join(f'{key}="{value}"\n' for key, value in settings.items())
