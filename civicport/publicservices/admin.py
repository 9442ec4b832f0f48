"""Admin for the procedure catalogue. Saving or deleting a procedure keeps the search index
in step (the public catalogue search reads only the index)."""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from civicport.publicservices.catalogue import (
    form_schema_errors,
    procedure_index,
    procedure_unindex,
)
from civicport.publicservices.models import Field, Procedure, ProcedureStep, RequiredDocument


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "procedure_count"]
    search_fields = ["code", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(procedure_total=Count("procedures"))

    @admin.display(description=_("procedures"), ordering="procedure_total")
    def procedure_count(self, obj):
        return obj.procedure_total


class StepInline(admin.TabularInline):
    model = ProcedureStep
    extra = 0
    fields = ["order", "name", "agency", "role", "hours"]
    autocomplete_fields = ["agency"]
    ordering = ["order"]


class DocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 0
    fields = ["order", "name", "is_required", "copies", "template"]
    ordering = ["order"]


class ProcedureForm(forms.ModelForm):
    class Meta:
        model = Procedure
        fields = "__all__"  # noqa: DJ007 (the fieldsets below choose what is shown)

    def clean_form_schema(self):
        schema = self.cleaned_data["form_schema"]
        errors = form_schema_errors(schema)
        if errors:
            raise forms.ValidationError(errors)
        return schema


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    form = ProcedureForm
    list_display = ["code", "name", "field", "level", "time_amount", "time_unit", "fee_amount",
                    "is_active"]
    list_filter = ["level", "is_active", "time_unit", "field"]
    search_fields = ["code", "name"]
    list_select_related = ["field"]
    autocomplete_fields = ["agencies"]
    readonly_fields = ["updated_at"]
    inlines = [StepInline, DocumentInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "field", "agencies", "level", "is_active"]}),
        (_("Time and fees"), {"fields": ["time_amount", "time_unit", "fee_amount",
                                         "fee_description"]}),
        (_("Details"), {"fields": ["result_description", "requirements", "legal_basis",
                                   "form_schema", "updated_at"]}),
    ]

    def save_related(self, request, form, formsets, change):
        # Agencies (M2M) are saved here, after save_model: index once everything is stored.
        super().save_related(request, form, formsets, change)
        procedure_index(form.instance)

    def delete_model(self, request, obj):
        pk = obj.pk
        super().delete_model(request, obj)
        procedure_unindex(pk)

    def delete_queryset(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        for pk in ids:
            procedure_unindex(pk)
