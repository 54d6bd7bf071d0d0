"""The site's URLs with the identity pages mounted, as the project URLconf mounts them."""

from django.urls import include, path

from rapport.urls import urlpatterns as site

urlpatterns = [path("", include("rapport.identity.urls")), *site]
