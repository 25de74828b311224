"""The app's theme (.streamlit/config.toml) meets WCAG AA contrast in light and dark, by the WCAG formula.

The browser suite measures the drawn pages with axe-core (tests/browser/test_accessibility.py); this checks the
colours themselves in a moment, so a colour changed by hand is caught before any browser starts.
"""

import tomllib

import pytest

from amplify import launch

# Streamlit's own page and sidebar backgrounds, which the theme keeps (documented in `streamlit config show`).
BACKGROUNDS = {"light": ("#ffffff", "#f8f8f7"), "dark": ("#171614", "#2d2b27")}
WHITE = "#ffffff"
# Streamlit draws captions (and links and code inside them) in their colour at 60% opacity.
CAPTION_OPACITY = 0.6


def theme() -> dict:
    path = launch.app_path().parent / ".streamlit" / "config.toml"  # beside app.py: every way to start reads it
    return tomllib.loads(path.read_text(encoding="utf-8"))["theme"]


def rgb(colour: str) -> tuple[float, ...]:
    return tuple(int(colour.lstrip("#")[index:index + 2], 16) / 255 for index in (0, 2, 4))


def luminance(colour: tuple[float, ...]) -> float:
    red, green, blue = (part / 12.92 if part <= 0.04045 else ((part + 0.055) / 1.055) ** 2.4 for part in colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one: tuple[float, ...], other: tuple[float, ...]) -> float:
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def faded(colour: str, background: str) -> tuple[float, ...]:
    return tuple(CAPTION_OPACITY * part + (1 - CAPTION_OPACITY) * under
                 for part, under in zip(rgb(colour), rgb(background), strict=True))


@pytest.mark.parametrize("mode", BACKGROUNDS)
def test_text_captions_links_and_controls_meet_aa(mode):
    colours = theme()[mode]
    text = colours.get("textColor", {"light": "#2f2d2b", "dark": "#edebe8"}[mode])
    for background in BACKGROUNDS[mode]:
        assert contrast(rgb(text), rgb(background)) >= 4.5
        for name, colour in (("caption", text), ("link", colours["linkColor"]), ("code", colours["codeTextColor"])):
            ratio = contrast(faded(colour, background), rgb(background))
            assert ratio >= 4.5, f"{mode}: a {name} in a caption on {background} is {ratio:.2f}:1"
        # Chosen radios, checkboxes and focus rings are drawn in the accent: 3:1 for controls.
        assert contrast(rgb(colours["primaryColor"]), rgb(background)) >= 3
    # Buttons and chosen tags: white words on the accent.
    assert contrast(rgb(WHITE), rgb(colours["primaryColor"])) >= 4.5


def test_links_are_underlined_and_text_is_large_enough_for_date_fields():
    assert theme()["linkUnderline"] is True
    assert theme()["baseFontSize"] >= 18
