"""Offline `pulumi preview`: runs the program under a recording mock engine, no CLI or cloud needed."""
