"""Pulumi components: one module per concern, each a ComponentResource with a typed args object."""
