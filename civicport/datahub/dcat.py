"""DCAT-AP documents (Turtle, JSON-LD, RDF/XML) of the catalogue and of each dataset, and
the schema.org JSON-LD embedded in dataset pages. The catalogue is Hydra-paged."""

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from civicport.datahub import queries
from civicport.datahub.models import LICENCES, Access

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
FORMATS = {
    "ttl": ("turtle", "text/turtle; charset=utf-8"),
    "jsonld": ("json-ld", "application/ld+json"),
    "rdf": ("xml", "application/rdf+xml"),
    "xml": ("xml", "application/rdf+xml"),
}
PAGE_SIZE = 100
FREQUENCIES = {"daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY",
               "quarterly": "QUARTERLY", "yearly": "ANNUAL", "irregular": "IRREG"}


def _graph() -> Graph:
    graph = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("hydra", HYDRA),
                       ("vcard", VCARD)):
        graph.bind(prefix, ns)
    return graph


def _uri(request, path: str) -> URIRef:
    return URIRef(request.build_absolute_uri(path))


def _add_dataset(graph: Graph, request, dataset, resources) -> URIRef:
    node = _uri(request, f"/du-lieu/{dataset.slug}/")
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(str(dataset.uuid))))
    graph.add((node, DCTERMS.title, Literal(dataset.title, lang="vi")))
    if dataset.description:
        graph.add((node, DCTERMS.description, Literal(dataset.description, lang="vi")))
    graph.add((node, DCTERMS.issued, Literal(dataset.created_at.isoformat(),
                                             datatype=XSD.dateTime)))
    graph.add((node, DCTERMS.modified, Literal(dataset.modified_at.isoformat(),
                                               datatype=XSD.dateTime)))
    publisher = BNode()
    graph.add((node, DCTERMS.publisher, publisher))
    graph.add((publisher, RDF.type, FOAF.Organization))
    graph.add((publisher, FOAF.name, Literal(dataset.publisher.name, lang="vi")))
    graph.add((node, DCTERMS.accessRights, URIRef(
        "http://publications.europa.eu/resource/authority/access-right/"
        + ("PUBLIC" if dataset.access == Access.OPEN else "RESTRICTED"))))
    graph.add((node, DCTERMS.accrualPeriodicity, URIRef(
        "http://publications.europa.eu/resource/authority/frequency/"
        + FREQUENCIES.get(dataset.frequency, "IRREG"))))
    for tag in dataset.tags.all():
        graph.add((node, DCAT.keyword, Literal(tag.name, lang="vi")))
    graph.add((node, DCAT.landingPage, node))
    if dataset.contact_email or dataset.contact_name:
        contact = BNode()
        graph.add((node, DCAT.contactPoint, contact))
        graph.add((contact, RDF.type, VCARD.Organization))
        graph.add((contact, VCARD.fn, Literal(dataset.contact_name or dataset.publisher.name)))
        if dataset.contact_email:
            graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{dataset.contact_email}")))
    licence_url = LICENCES.get(dataset.licence, ("", ""))[1]
    for resource in resources:
        version = resource.current_version
        if version is None:
            continue
        dist = _uri(request, f"/du-lieu/{dataset.slug}/#tai-nguyen-{resource.pk}")
        graph.add((node, DCAT.distribution, dist))
        graph.add((dist, RDF.type, DCAT.Distribution))
        graph.add((dist, DCTERMS.title, Literal(resource.name, lang="vi")))
        graph.add((dist, DCTERMS.format, Literal(version.format)))
        fmt = "csv" if version.schema else ""
        download = f"/du-lieu/{dataset.slug}/tai-nguyen/{resource.pk}/tai-ve"
        graph.add((dist, DCAT.downloadURL, _uri(request, download + (f".{fmt}" if fmt else ""))))
        graph.add((dist, DCAT.accessURL, node))
        graph.add((dist, DCAT.byteSize, Literal(version.size, datatype=XSD.decimal)))
        if version.media_type:
            graph.add((dist, DCAT.mediaType, Literal(version.media_type)))
        if licence_url:
            graph.add((dist, DCTERMS.license, URIRef(licence_url)))
    return node


def catalogue(request, *, page: int, fmt: str) -> tuple[bytes, str]:
    rdf_format, content_type = FORMATS[fmt]
    graph = _graph()
    datasets = queries.listable(request.user).select_related("publisher").order_by("slug")
    total = datasets.count()
    node = _uri(request, "/du-lieu/catalog." + fmt)
    graph.add((node, RDF.type, DCAT.Catalog))
    graph.add((node, DCTERMS.title, Literal("Cổng dữ liệu mở Hải Phòng", lang="vi")))
    graph.add((node, DCTERMS.description,
               Literal("Danh mục dữ liệu dùng chung và dữ liệu mở của thành phố", lang="vi")))
    for dataset in datasets[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]:
        graph.add((node, DCAT.dataset, _add_dataset(graph, request, dataset,
                                                    queries.active_resources(dataset))))
    last = max(1, -(-total // PAGE_SIZE))
    paging = _uri(request, f"/du-lieu/catalog.{fmt}?page={page}")
    graph.add((paging, RDF.type, HYDRA.PagedCollection))
    graph.add((paging, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
    graph.add((paging, HYDRA.itemsPerPage, Literal(PAGE_SIZE, datatype=XSD.integer)))
    graph.add((paging, HYDRA.firstPage, _uri(request, f"/du-lieu/catalog.{fmt}?page=1")))
    graph.add((paging, HYDRA.lastPage, _uri(request, f"/du-lieu/catalog.{fmt}?page={last}")))
    if page < last:
        graph.add((paging, HYDRA.nextPage,
                   _uri(request, f"/du-lieu/catalog.{fmt}?page={page + 1}")))
    return graph.serialize(format=rdf_format).encode(), content_type


def dataset_document(request, dataset, *, fmt: str) -> tuple[bytes, str]:
    rdf_format, content_type = FORMATS[fmt]
    graph = _graph()
    _add_dataset(graph, request, dataset, queries.active_resources(dataset))
    return graph.serialize(format=rdf_format).encode(), content_type


def schema_org(request, dataset, resources) -> dict:
    """schema.org/Dataset for search engines (embedded as application/ld+json)."""
    return {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": dataset.title,
        "description": dataset.description or dataset.title,
        "url": request.build_absolute_uri(f"/du-lieu/{dataset.slug}/"),
        "identifier": str(dataset.uuid),
        "keywords": [t.name for t in dataset.tags.all()],
        "isAccessibleForFree": True,
        "license": LICENCES.get(dataset.licence, ("", ""))[1] or None,
        "dateModified": dataset.modified_at.isoformat(),
        "inLanguage": "vi",
        "creator": {"@type": "GovernmentOrganization", "name": dataset.publisher.name},
        "distribution": [
            {"@type": "DataDownload", "name": r.name,
             "encodingFormat": r.current_version.media_type or r.current_version.format,
             "contentUrl": request.build_absolute_uri(
                 f"/du-lieu/{dataset.slug}/tai-nguyen/{r.pk}/tai-ve")}
            for r in resources if r.current_version
        ] if dataset.access == Access.OPEN else [],
    }
