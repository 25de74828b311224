"""axe-core in the page: WCAG 2.0, 2.1 and 2.2 A and AA rules, in the light and the dark theme.

    def test_a_page(app, page, ui, axe):
        ui.open(app.url)
        axe.check(page, "Today")          # fails the test with each rule, element and help text

axe-core comes from the npm registry, pinned in tests/browser/package.json and package-lock.json, and is
installed with `npm ci --prefix tests/browser` (`.ci/run` does it). Without it the `axe` fixture skips with a
note, or fails when AMPLIFY_REQUIRE_BROWSER=1, as the browser fixture does.
"""

from pathlib import Path

AXE_SCRIPT = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
# Every A and AA rule of WCAG 2.0, 2.1 and 2.2 (axe tags each rule with the version that introduced it).
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
THEMES = ("light", "dark")

# Finite animations (a toast sliding in, an expander opening) must end before colours are measured; a spinner
# runs forever and is left alone.
SETTLED = """() => document.getAnimations().every(animation =>
    animation.playState !== 'running' || animation.effect?.getComputedTiming().iterations === Infinity)"""
# Whether the app has drawn itself in the theme asked for (a dark background for "dark"); true off the app.
_DRAWN_IN = """dark => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) return true;
    const [red, green, blue] = getComputedStyle(app).backgroundColor.match(/\\d+/g).map(Number);
    return (red + green + blue < 384) === dark;
}"""
_RUN_AXE = """async tags => {
    const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    return results.violations.map(violation => ({
        id: violation.id, impact: violation.impact, help: violation.help, helpUrl: violation.helpUrl,
        nodes: violation.nodes.map(node => ({target: node.target.join(' '), html: node.html,
                                             summary: node.failureSummary}))}));
}"""


class Axe:
    """Runs axe-core on the page as it is now, once per theme, and fails with what it found."""

    def violations(self, page) -> list[dict]:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE_SCRIPT))
        page.wait_for_function(SETTLED)
        return page.evaluate(_RUN_AXE, list(WCAG_TAGS))

    def check(self, page, where: str, *, themes: tuple[str, ...] = THEMES) -> None:
        """No violation on `where` in each of `themes` (the app follows the browser's colour scheme, so the
        page is switched in place, without a reload). The page is left in the light theme."""
        tracebacks = page.locator('[data-testid="stException"]')
        assert tracebacks.count() == 0, f"{where} shows a traceback: {tracebacks.first.inner_text()}"
        found: list[str] = []
        for theme in themes:
            page.emulate_media(color_scheme=theme)
            page.wait_for_function(_DRAWN_IN, arg=theme == "dark")
            found += [describe(violation, where, theme) for violation in self.violations(page)]
        page.emulate_media(color_scheme=THEMES[0])
        assert not found, f"axe-core: {len(found)} WCAG A/AA violations\n" + "\n".join(found)


def describe(violation: dict, where: str, theme: str) -> str:
    lines = [f"- {where}, {theme} theme: {violation['id']} ({violation['impact']}): {violation['help']}",
             f"  {violation['helpUrl']}"]
    for node in violation["nodes"][:8]:
        lines.append(f"  at {node['target']}: {node['html'][:200]}")
        lines += [f"     {line}" for line in (node["summary"] or "").splitlines()]
    if len(violation["nodes"]) > 8:
        lines.append(f"  and {len(violation['nodes']) - 8} more elements")
    return "\n".join(lines)
