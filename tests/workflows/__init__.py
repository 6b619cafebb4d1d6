"""The GitHub workflows: actionlint clean, and the safety properties a team copying them relies on."""
