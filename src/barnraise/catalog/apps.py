from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "barnraise.catalog"
    label = "catalog"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from barnraise.accounts import lifecycle
        from barnraise.catalog import photos, selectors, services
        from barnraise.catalog.models import Category

        post_save.connect(selectors.category_paths_forget, sender=Category, dispatch_uid="category_paths")
        post_delete.connect(selectors.category_paths_forget, sender=Category, dispatch_uid="category_paths")

        lifecycle.register_export("listings", selectors.listings_export_for)
        lifecycle.register_deletion(services.listings_close_for_deleted_member)
        lifecycle.register_deletion(photos.photos_delete_for)
