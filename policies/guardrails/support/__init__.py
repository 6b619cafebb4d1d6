"""What several policies share: reading properties as the engine sends them, firewalls, containers, secrets."""
