"""Pages of the food-tour map: the public map and list, venue pages, reviews, tours, QR codes
and posters, and the tourism staff's venue management and moderation queue.

Views parse input with a form, call one action or query, render. Every page works without
JavaScript (the list view is the map's fallback); map.js and hours-editor.js only add to it.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civicport.core.geo import city_centre
from civicport.tourism import actions, hours, photos, printouts, queries, tabular
from civicport.tourism.forms import (
    FilterForm,
    FlagForm,
    ImportForm,
    ModerateForm,
    PhotoForm,
    ReplyForm,
    ReviewForm,
    VenueForm,
)
from civicport.tourism.models import Photo, Venue
from civicport.tourism.permissions import is_tourism_staff

PAGE_SIZE = 20
VERIFIED_KEY = "tourism_verified_venues"


def _map_context(request) -> dict:
    lat, lon, zoom = city_centre()
    return {"centre": f"{lat},{lon}", "zoom": 13 if zoom < 13 else zoom}


def _without_page(request) -> str:
    params = request.GET.copy()
    params.pop("trang", None)
    return params.urlencode()


@require_GET
def map_page(request):
    form = FilterForm(request.GET or None)
    page = Paginator(queries.place_ids(form.filters()), PAGE_SIZE).get_page(
        request.GET.get("trang"))
    page.object_list = queries.venues_in_order(list(page.object_list))
    now = timezone.now()
    for venue in page.object_list:  # 20 at most: each text is parsed once per process
        venue.open_now = queries.venue_open_now(venue, now)
    context = {"form": form, "page": page, "query": _without_page(request),
               "tours": queries.tours(), "is_staff": is_tourism_staff(request.user),
               "filters_used": any(request.GET.get(k) for k in ("when", "price", "rating",
                                                                  "ward", "dish")),
               **_map_context(request)}
    if request.htmx:
        return render(request, "tourism/_results.html", context)
    return render(request, "tourism/map.html", context)


def _kind_check(kind: str, allowed: tuple[str, ...]) -> None:
    if kind not in allowed:
        raise Http404


def _venue_or_404(pk: int) -> Venue:
    venue = queries.venue_get(pk)
    if venue is None:
        raise Http404
    return venue


def _venue_url(request, venue: Venue, with_token: bool = False) -> str:
    url = reverse("tourism:venue", args=[venue.pk])
    if with_token:
        url += f"?qr={printouts.visit_token(venue.pk)}"
    return request.build_absolute_uri(url)


@require_GET
def venue_page(request, pk: int):
    venue = _venue_or_404(pk)
    token = request.GET.get("qr", "")
    if token and printouts.visit_token_valid(venue.pk, token):
        # The visitor scanned the QR code on the venue's poster: their review counts as a visit.
        verified = set(request.session.get(VERIFIED_KEY, []))
        verified.add(venue.pk)
        request.session[VERIFIED_KEY] = sorted(verified)[-200:]
    own = queries.review_of(venue.pk, request.user)
    form = ReviewForm(initial={"rating": own.rating, "text": own.text} if own else None)
    return render(request, "tourism/venue.html", {
        "venue": venue, "hours_text": queries.hours_text(venue),
        "open_now": queries.venue_open_now(venue),
        "reviews": queries.reviews_visible(venue.pk)[:50], "own": own, "form": form,
        "can_reply": request.user.is_authenticated and (
            venue.owner_id == request.user.pk or is_tourism_staff(request.user)),
        "is_staff": is_tourism_staff(request.user),
        "verified": venue.pk in request.session.get(VERIFIED_KEY, []),
        **_map_context(request),
    })


def _redirect_venue(venue_id: int, anchor: str = "danh-gia"):
    return redirect(reverse("tourism:venue", args=[venue_id]) + f"#{anchor}")


def _refusal(request, exc) -> None:
    if isinstance(exc, ValidationError):
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.error(request, str(exc))


@login_required
@require_POST
def review_post(request, pk: int):
    venue = _venue_or_404(pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a rating from 1 to 5 stars."))
        return _redirect_venue(venue.pk)
    try:
        actions.review_submit(
            actor=request.user, venue_id=venue.pk, rating=form.cleaned_data["rating"],
            text=form.cleaned_data["text"],
            verified_visit=venue.pk in request.session.get(VERIFIED_KEY, []))
    except (ValidationError, PermissionDenied) as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("Thank you! Your review is saved."))
    return _redirect_venue(venue.pk)


@login_required
@require_POST
def review_flag(request, pk: int):
    form = FlagForm(request.POST)
    form.is_valid()
    try:
        review = actions.review_flag(actor=request.user, review_id=pk,
                                     reason=form.cleaned_data.get("reason", ""))
    except (ValidationError, PermissionDenied) as exc:
        _refusal(request, exc)
        return redirect("tourism:map")
    messages.success(request, _("Thank you. A moderator will look at this review."))
    return _redirect_venue(review.venue_id)


@login_required
@require_POST
def review_reply(request, pk: int):
    form = ReplyForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        review = actions.review_reply(actor=request.user, review_id=pk,
                                      text=form.cleaned_data["reply"])
    except (ValidationError, PermissionDenied) as exc:
        _refusal(request, exc)
        return redirect("tourism:map")
    return _redirect_venue(review.venue_id)


@require_GET
def tour_page(request, slug: str):
    tour = queries.tour_get(slug)
    if tour is None:
        raise Http404
    stops = [{"id": s.venue_id, "name": s.venue.name, "lat": s.venue.lat, "lon": s.venue.lon,
              "url": reverse("tourism:venue", args=[s.venue_id])} for s in tour.stops.all()]
    return render(request, "tourism/tour.html", {
        "tour": tour, "stops_json": json.dumps(stops, ensure_ascii=False),
        **_map_context(request)})


@require_GET
def map_qr(request, kind: str):
    _kind_check(kind, ("png", "svg"))
    content, media_type = printouts.qr(request.build_absolute_uri(reverse("tourism:map")), kind)
    return HttpResponse(content, content_type=media_type)


@require_GET
def venue_qr(request, pk: int, kind: str):
    _kind_check(kind, ("png", "svg"))
    venue = _venue_or_404(pk)
    content, media_type = printouts.qr(_venue_url(request, venue, with_token=True), kind)
    return HttpResponse(content, content_type=media_type)


@require_GET
def venue_poster(request, pk: int):
    venue = _venue_or_404(pk)
    pdf = printouts.poster_pdf(venue, _venue_url(request, venue, with_token=True),
                               queries.hours_text(venue))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="poster-{venue.pk}.pdf"'
    return response


@require_GET
def photo_file(request, pk: int):
    photo = Photo.objects.filter(pk=pk, venue__is_published=True).first()
    if photo is None:
        raise Http404
    response = FileResponse(photos.photo_open(photo), content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def hours_preview(request):
    """The editor's live preview (htmx): the Vietnamese rendering, or the error with its
    position."""
    text = request.GET.get("opening_hours", "")
    context = {"text": text}
    if text.strip():
        try:
            context["rendered"] = hours.describe(text)
        except hours.HoursError as exc:
            context.update(error=str(exc), position=exc.position,
                           before=text[:exc.position], at=text[exc.position:exc.position + 1],
                           after=text[exc.position + 1:])
    return render(request, "tourism/_hours_preview.html", context)


@require_GET
def open_data(request, kind: str):
    """The venue list as an open dataset (GeoJSON or CSV), for anyone."""
    _kind_check(kind, ("geojson", "csv"))
    if kind == "geojson":
        _version, body = queries.map_geojson()
        return HttpResponse(body, content_type="application/geo+json")
    columns, rows = queries.open_dataset_rows()
    content = tabular.export_csv_rows([columns, *rows])
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="dia-diem-am-thuc.csv"'
    return response


# --- staff ---------------------------------------------------------------------------------


def _staff_only(request) -> None:
    if not is_tourism_staff(request.user):
        raise PermissionDenied


@login_required
def manage(request):
    _staff_only(request)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = tabular.venues_import(actor=request.user, filename=upload.name,
                                               content=upload.read(tabular.MAX_BYTES + 1))
            except ValidationError as exc:
                return render(request, "tourism/manage.html", {
                    "form": form, "import_errors": exc.messages,
                    "venues": Venue.objects.select_related("ward")[:0]}, status=400)
            messages.success(request, _("Imported: %(c)d created, %(u)d updated.") % {
                "c": result["created"], "u": result["updated"]})
            return redirect("tourism:manage")
    else:
        form = ImportForm()
    rows = Venue.objects.select_related("ward").order_by("-updated_at")
    page = Paginator(rows, 50).get_page(request.GET.get("trang"))
    return render(request, "tourism/manage.html", {"form": form, "venues": page,
                                                   "flagged": queries.moderation_queue().count()})


@login_required
@require_GET
def export(request, kind: str):
    _staff_only(request)
    _kind_check(kind, ("xlsx", "csv"))
    if kind == "xlsx":
        response = HttpResponse(tabular.export_xlsx(), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    else:
        response = HttpResponse(tabular.export_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dia-diem.{kind}"'
    return response


def _venue_initial(venue: Venue) -> dict:
    return {"name": venue.name, "address": venue.address, "ward": venue.ward_id,
            "lat": venue.lat, "lon": venue.lon, "opening_hours": venue.opening_hours,
            "dishes": "\n".join(f"{d.name}: {d.price}" for d in venue.dishes.all()),
            "tags": ", ".join(venue.tags), "phone": venue.phone, "website": venue.website,
            "description": venue.description, "is_published": venue.is_published,
            "version": venue.version}


@login_required
def venue_edit(request, pk: int | None = None):
    _staff_only(request)
    venue = Venue.objects.filter(pk=pk).first() if pk else None
    if pk and venue is None:
        raise Http404
    form = VenueForm(request.POST or None, initial=_venue_initial(venue) if venue else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if venue:
                    venue = actions.venue_update(actor=request.user, venue_id=venue.pk,
                                                 version=form.cleaned_data.get("version"),
                                                 data=form.data_for_action())
                else:
                    venue = actions.venue_create(actor=request.user,
                                                 data=form.data_for_action())
            except ValidationError as exc:
                status = 409 if getattr(exc, "code", "") == "stale" else 400
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc.messages)
            else:
                messages.success(request, _("The venue is saved."))
                return redirect("tourism:venue_edit", pk=venue.pk)
        else:
            status = 400
    rows, ph_off = hours.editor_rows(form["opening_hours"].value() or "")
    days = [{"name": name, "index": i, "open": row["open"],
             "from1": row["spans"][0][0] if row["spans"] else "",
             "to1": row["spans"][0][1] if row["spans"] else "",
             "from2": row["spans"][1][0] if len(row["spans"]) > 1 else "",
             "to2": row["spans"][1][1] if len(row["spans"]) > 1 else ""}
            for i, (name, row) in enumerate(zip(hours.day_names(), rows, strict=True))]
    return render(request, "tourism/venue_edit.html", {
        "form": form, "venue": venue, "photo_form": PhotoForm(), "days": days,
        "ph_off": ph_off}, status=status)


@login_required
@require_POST
def photo_upload(request, pk: int):
    _staff_only(request)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            photos.photo_add(actor=request.user, venue_id=pk, upload=form.cleaned_data["photo"],
                             caption=form.cleaned_data["caption"])
            messages.success(request, _("The photo is added."))
        except ValidationError as exc:
            _refusal(request, exc)
    else:
        messages.error(request, _("Choose a photo to upload."))
    return redirect("tourism:venue_edit", pk=pk)


@login_required
def moderation(request):
    _staff_only(request)
    if request.method == "POST":
        form = ModerateForm(request.POST)
        if form.is_valid():
            try:
                actions.review_moderate(actor=request.user,
                                        review_id=int(request.POST.get("review", 0) or 0),
                                        decision=form.cleaned_data["decision"],
                                        reason=form.cleaned_data["reason"])
            except (ValidationError, PermissionDenied) as exc:
                _refusal(request, exc)
        return redirect("tourism:moderation")
    return render(request, "tourism/moderation.html",
                  {"reviews": queries.moderation_queue()[:100]})
