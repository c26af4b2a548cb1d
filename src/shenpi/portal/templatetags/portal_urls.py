"""Addresses of the public pages, reversed once per process.

Every public page carries the same navigation, and the guide list links each of its entries: with
`{% url %}` each address is reversed again on every request, which costs about a tenth of the
time a page takes. `{% link %}` gives the same address (escaped the same way) from a cache keyed
by everything reversing depends on here. The site's namespaces have one instance each, so the
current app, which `{% url %}` also passes, changes nothing.
"""

import functools

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@functools.lru_cache(maxsize=4096)
def _reverse(prefix: str, urlconf: str, name: str, args: tuple[str, ...]) -> str:
    return reverse(name, urlconf=urlconf, args=args)


@register.simple_tag
def link(name: str, *args) -> str:
    """The path of a named URL, like `{% url name arg … %}`."""
    return _reverse(get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF, name, tuple(str(a) for a in args))
