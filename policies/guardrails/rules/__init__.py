"""One module per policy, named after it with '_' for '-': `hetzner_firewall_disallow_public_data_ports`
holds the policy `hetzner-firewall-disallow-public-data-ports` as `POLICY`."""
