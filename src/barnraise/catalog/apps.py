from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "barnraise.catalog"
    label = "catalog"

    def ready(self) -> None:
        from barnraise.accounts import lifecycle
        from barnraise.catalog import photos, selectors, services
        from barnraise.catalog.models import Category

        selectors.CATEGORY_PATHS.connect(Category)

        lifecycle.register_export("listings", selectors.listings_export_for)
        lifecycle.register_deletion(services.listings_close_for_deleted_member)
        lifecycle.register_deletion(photos.photos_delete_for)
