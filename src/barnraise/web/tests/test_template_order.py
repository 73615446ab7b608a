from django.template.loader import get_template

from barnraise.web.tests.conftest import WEB_TEMPLATES


def test_the_site_overrides_allauth_templates() -> None:
    # given the real settings
    # when the allauth layout is looked up
    template = get_template("allauth/layouts/base.html")
    # then it is the site's override
    assert str(template.origin.name).startswith(str(WEB_TEMPLATES))
