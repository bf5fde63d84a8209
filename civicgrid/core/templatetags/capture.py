"""`{% capture name %}…{% endcapture %}`: render a piece of a template once, show it often.

A case row shows its status badges and its deadline twice (in the phone layout's first cell
and in the desktop layout's columns); capturing them renders each once per row.
"""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


class CaptureNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: str):
        self.nodelist, self.name = nodelist, name

    def render(self, context) -> str:
        # What the nodelist rendered is already escaped where it had to be.
        context[self.name] = mark_safe(self.nodelist.render(context))  # noqa: S308
        return ""


@register.tag
def capture(parser, token):
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(
            "{% capture %} takes one argument, the name of the variable to set")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[1])
