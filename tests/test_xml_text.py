"""ilt_xl.xlsx.xml_text.escape_markup escapes as xml.sax.saxutils.escape does (the module that
``ilt-xl recalc`` no longer imports: it pulls in urllib.request, http.client, ssl and email)."""
from __future__ import annotations

from xml.sax.saxutils import escape

from hypothesis import given, strategies as st

from ilt_xl.xlsx.xml_text import escape_markup, xml_text

_MARKUP = st.text(alphabet=st.sampled_from('&<>"\n\t\'a_x;#') | st.characters(), max_size=40)
_IN_ATTRIBUTES = {'"': "&quot;", "\n": "&#10;", "\t": "&#9;"}


@given(_MARKUP)
def test_markup_is_escaped_as_saxutils_escapes_it(text):
    assert escape_markup(text) == escape(text)
    assert escape_markup(text, attribute=True) == escape(text, _IN_ATTRIBUTES)


def test_an_attribute_keeps_its_quotes_line_feeds_and_tabs():
    assert xml_text('a&b<c>"d"\n\te') == 'a&amp;b&lt;c&gt;"d"\n\te'
    assert xml_text('a&b<c>"d"\n\te', attribute=True) == "a&amp;b&lt;c&gt;&quot;d&quot;&#10;&#9;e"
