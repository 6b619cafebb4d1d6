"""Files shipped to servers, kept as real files next to the components that use them."""

from pathlib import Path
from string import Template

TEMPLATE_DIR = Path(__file__).parent / "templates"


def render_template(file_name: str, variables: dict[str, str]) -> str:
    """Fill `${name}` placeholders; a placeholder without a value is an error, not an empty string."""
    return Template((TEMPLATE_DIR / file_name).read_text()).substitute(variables)
