"""The sections of the offline preview's report, in the order it prints them.

Every section turns a RecordedStack into lines, and may fail the preview (a policy violation, a
resource without a price, say). A new report is a new module here with a class that has `title` and
`render`, listed in `stack_sections()`; the policy verdicts come last, from the pack started beside
the program (policies.py), and next_step.py says what to do next.

The compact report (the default) gives each resource one line in creation order and each section a few
lines; `details` gives every input of every resource as a tree, and each section in full.
"""

from preview.sections.cost import CostEstimate
from preview.sections.deploy_time import DeployTime
from preview.sections.diagnostics import Diagnostics
from preview.sections.outputs import StackOutputs
from preview.sections.resource_list import ResourceList
from preview.sections.resources import ResourceTree
from preview.sections.section import Section, SectionReport
from preview.sections.summary import Summary

__all__ = ["Section", "SectionReport", "stack_sections"]


def stack_sections(details: bool = False) -> list[Section]:
    if details:
        return [ResourceTree(), Diagnostics(), StackOutputs(), Summary(), CostEstimate(), DeployTime()]
    compact = True
    return [
        ResourceList(),
        Diagnostics(compact),
        StackOutputs(compact),
        CostEstimate(compact),
        DeployTime(compact),
    ]
