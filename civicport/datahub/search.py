"""The datasets' entries in core.search (diacritics-insensitive word-prefix search)."""

from civicport.core.search import search_index

SCOPE = "datahub.dataset"


def dataset_index(dataset) -> None:
    """(Re)index a dataset's title, description, tags and publisher."""
    tags = " ".join(dataset.tags.values_list("name", flat=True))
    search_index(SCOPE, dataset.pk, dataset.title, dataset.description, tags,
                 dataset.publisher.name, dataset.slug.replace("-", " "))
