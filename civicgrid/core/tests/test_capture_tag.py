"""{% capture %} renders its content once and shows it wherever it is used."""

from __future__ import annotations

import pytest
from django.template import Context, Template, TemplateSyntaxError


class Counter:
    def __init__(self):
        self.calls = 0

    def __str__(self):
        self.calls += 1
        return "<b>&</b>"


def test_capture_renders_once_and_keeps_escaping():
    counter = Counter()
    html = Template("{% load capture %}{% capture x %}[{{ c }}]{% endcapture %}"
                    "{{ x }}|{{ x }}").render(Context({"c": counter}))
    assert html == "[&lt;b&gt;&amp;&lt;/b&gt;]|[&lt;b&gt;&amp;&lt;/b&gt;]"
    assert counter.calls == 1


def test_capture_inside_a_loop_is_per_iteration():
    html = Template("{% load capture %}{% for n in ns %}{% capture x %}{{ n }}{% endcapture %}"
                    "{{ x }}{{ x }};{% endfor %}").render(Context({"ns": [1, 2]}))
    assert html == "11;22;"


@pytest.mark.parametrize("source", [
    "{% load capture %}{% capture %}a{% endcapture %}",
    "{% load capture %}{% capture a b %}a{% endcapture %}",
])
def test_capture_needs_exactly_one_name(source):
    with pytest.raises(TemplateSyntaxError, match="one argument"):
        Template(source)
