"""axe-core (the accessibility engine of the field, from the project's npm packages) run in the
page as it stands: the rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA, which EN 301 549 asks
of public bodies' web services, and axe's best practices."""

from django.conf import settings

SOURCE = (settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js").read_text()
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
RUN = """(tags) => axe.run(document, { runOnly: { type: "tag", values: tags } }).then((result) =>
  result.violations.flatMap((rule) => rule.nodes.map((node) =>
    `${rule.id} (${rule.impact}) at ${node.target.join(" ")}: ${node.failureSummary}`)))"""


def axe_problems(page) -> list[str]:
    """What axe finds wrong in the page now, one line per rule and element."""
    # Evaluated over the DevTools protocol: the page's CSP would refuse a script tag of ours.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(SOURCE)
    return page.evaluate(RUN, TAGS)


class Audit:
    """Problems per state of a page, so one test reports every state that fails at once."""

    def __init__(self):
        self.found = {}

    def check(self, page, state: str) -> None:
        problems = axe_problems(page)
        if problems:
            self.found[state] = problems

    def assert_clean(self) -> None:
        assert self.found == {}, "\n".join(
            f"{state}:\n  " + "\n  ".join(problems) for state, problems in self.found.items()
        )
