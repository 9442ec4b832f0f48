from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicport.core import calendar
from civicport.core.models import (
    Agency,
    ApiToken,
    AuditEntry,
    DayOff,
    LegacyWard,
    MakeupWorkday,
    Membership,
    Notification,
    SmsOutbox,
    User,
    Ward,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For append-only records: viewable by staff, never edited or deleted from the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["agency"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "full_name", "phone", "email", "kind", "is_active"]
    list_filter = ["kind", "is_city_admin", "is_ioc_viewer", "is_staff", "is_active"]
    search_fields = ["username", "full_name", "phone", "email"]
    inlines = [MembershipInline]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("CivicPort"), {"fields": ["full_name", "phone", "kind", "is_city_admin",
                                     "is_ioc_viewer", "preferred_language"]}),
    ]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "name_folded"]
    readonly_fields = ["path", "name_folded"]


@admin.register(Ward)
class WardAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "province"]
    list_filter = ["kind"]
    search_fields = ["name", "name_folded"]


@admin.register(LegacyWard)
class LegacyWardAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "district_name", "province_name", "ward"]
    search_fields = ["name", "name_folded", "district_name"]


class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "name"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        calendar.clear_calendar_cache()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        calendar.clear_calendar_cache()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        calendar.clear_calendar_cache()


admin.site.register(DayOff, CalendarDayAdmin)
admin.site.register(MakeupWorkday, CalendarDayAdmin)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["seq", "at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_label"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "channel", "recipient", "template", "status", "attempts"]
    list_filter = ["channel", "status"]
    search_fields = ["recipient", "idempotency_key"]


@admin.register(SmsOutbox)
class SmsOutboxAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "to", "body"]
    search_fields = ["to"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
