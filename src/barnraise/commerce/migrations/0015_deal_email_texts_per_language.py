"""Deal email overrides are per language (issue #20): the rows written before were the site's
default language's, so they keep it."""

from django.conf import settings
from django.db import migrations, models
from django.utils.translation import get_supported_language_variant


def site_language(apps, schema_editor):  # type: ignore[no-untyped-def]
    language = get_supported_language_variant(settings.LANGUAGE_CODE)
    apps.get_model("commerce", "DealEmailText").objects.update(language=language)


class Migration(migrations.Migration):
    dependencies = [("commerce", "0014_taxes")]

    operations = [
        migrations.RemoveConstraint(model_name="dealemailtext", name="deal_email_text_once"),
        migrations.AddField(
            model_name="dealemailtext",
            name="language",
            field=models.CharField(
                default="", help_text="A code of settings.LANGUAGES: who reads it in it.", max_length=15
            ),
            preserve_default=False,
        ),
        migrations.RunPython(site_language, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="dealemailtext",
            constraint=models.UniqueConstraint(
                fields=("process", "transition", "audience", "language"), name="deal_email_text_once_a_language"
            ),
        ),
    ]
