"""The imports and analyses page of an area (`/areas/{slug}/data/`): analysts upload crime,
blocks, street lamps or survey results and start hotspot analyses there, and follow both as
the background worker runs them; a crime import or a survey round imported by mistake is
deleted there. The same services as the API (layers.services,
layers.analysis.services): the page only takes a form instead of a request body.

A plain form page: each upload or analysis is one POST answered with a redirect, so a reload
never repeats it. layers/static/data/jobs.js updates the rows of work still under way."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from config.forms import posted_id
from geo.models import Area
from geo.permissions import area_access
from geo.querysets import count_of, crime_counts_fill, crime_sources
from layers.analysis.results import analysis_period, analysis_shown
from layers.analysis.services import (
    analysis_delete,
    analysis_pin,
    analysis_queue,
    analysis_queue_again,
    analysis_unpin,
)
from layers.categories import CrimeCategory
from layers.import_delete import import_delete, survey_round_delete, survey_rounds
from layers.importers.base import ImportRefused
from layers.jobs import job_orphan_end, job_stop, jobs_listed
from layers.models import AnalysisRun, ImportJob, ImportKind, RunStatus, SurveyResult
from layers.serializers import ImportUploadSerializer
from layers.services import FORMATS_OF, OPTIONS_OF, import_submit
from layers.views_imports import no_survey_round, upload_refusal

SHOWN_REASONS = 50  # rejected rows listed per import (the API gives up to 1,000)
# Analyses that may be run again: one that ended done has its results, one under way may yet.
RUN_AGAIN = (RunStatus.STOPPED, RunStatus.FAILED)

# Every format some kind takes; "" is "auto" (found from the file), which crime has not.
FORMAT_CHOICES = list(dict.fromkeys(f for formats in FORMATS_OF.values() for f in formats))

# The options an import takes besides kind, format and file, as the API names them.
OPTIONS = [
    name for name in ImportUploadSerializer().fields if name not in ("file", "kind", "format")
]
# The delimiters offered for a CSV, as import_options_parse reads them ("" is not given: its
# default, a comma); "other" takes the one typed in the delimiter_other box.
DELIMITER_CHOICES = [
    ("", gettext_lazy("Comma (,)")),
    (";", gettext_lazy("Semicolon (;)")),
    ("tab", gettext_lazy("Tab")),
    ("|", gettext_lazy("Pipe (|)")),
    ("other", gettext_lazy("Other…")),
]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=ImportKind.choices)
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[("", gettext_lazy("Found from the file"))]
        + [(f, f) for f in FORMAT_CHOICES if f != "auto"],
        required=False,
        help_text=gettext_lazy(
            "Crime: police-uk (the police open-data street CSV), chicago, or generic with the"
            " columns named under More options."
        ),
    )
    file = forms.FileField(label=gettext_lazy("File"))


class AnalysisForm(forms.Form):
    date_from = forms.CharField(label=gettext_lazy("From (month)"), required=False)
    date_to = forms.CharField(label=gettext_lazy("To (month)"), required=False)
    categories = forms.MultipleChoiceField(
        label=gettext_lazy("Crime categories (none ticked: all)"),
        choices=CrimeCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # Ticked on the page: with thousands of blocks tested at once, one in ten reads "hot" or
    # "cold at 90 %" by chance alone (docs/methods.md). The API's default stays as it was.
    fdr = forms.BooleanField(
        label=gettext_lazy("Correct the hot spots for testing every block at once (FDR)"),
        required=False,
        initial=True,
    )


def _holdings(area) -> Area:
    """The area with what it holds, however it came (imports, the admin, load_demo): the data
    page listed only imports, and an area loaded otherwise read as empty."""
    held = Area.objects.with_counts().annotate(lamp_count=count_of("layers.Lamp", "area"))
    held = held.get(pk=area.pk)
    crime_counts_fill([held])  # kept per crime version: 300,000 incidents are not counted anew
    held.crime_sources = crime_sources(area)
    return held


@login_required
def data_page(request, slug):
    access = area_access(request, slug)  # 404 for an area the user may not see
    if not access.can("import"):
        raise PermissionDenied(_("Only analysts import data and run analyses."))
    forms_shown = {"import_form": ImportForm(), "analysis_form": AnalysisForm()}
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "import":
            shown, form = "import_form", _import(request, access.area)
        elif action == "analyse" and access.can("analyse"):
            shown, form = "analysis_form", _analyse(request, access.area)
        elif action == "delete_import":
            _delete_import(request, access.area)
            return redirect("area-data", slug)
        elif action == "delete_survey":
            _delete_survey(request, access.area)
            return redirect("area-data", slug)
        elif action == "stop_import":
            _stop(request, ImportJob.objects.filter(area=access.area), "job")
            return redirect("area-data", slug)
        elif action == "stop_run" and access.can("analyse"):
            _stop(request, AnalysisRun.objects.filter(area=access.area), "run")
            return redirect("area-data", slug)
        elif action == "delete_run" and access.can("analyse"):
            _delete_run(request, access.area)
            return redirect("area-data", slug)
        elif action == "run_again" and access.can("analyse"):
            _run_again(request, access.area)
            return redirect("area-data", slug)
        elif action in ("pin_run", "unpin") and access.can("analyse"):
            _choose_shown(request, access.area, pin=action == "pin_run")
            return redirect("area-data", slug)
        else:
            return HttpResponseBadRequest(_("Unknown change."))
        if form is None:  # done: a redirect, so a reload does not do it again
            return redirect("area-data", slug)
        forms_shown[shown] = form  # with what is wrong
    jobs = ImportJob.objects.filter(area=access.area).select_related(
        "created_by", "deleted_by", "stopped_by"
    )
    # A job whose worker died reads failed from the start, not running until the script asks.
    imports = jobs_listed(jobs)
    for job in imports:
        job.shown_reasons = job.rejected_rows[:SHOWN_REASONS]
        job.status_url = reverse("import-detail", args=[job.pk])
    runs = AnalysisRun.objects.filter(area=access.area).select_related("created_by", "stopped_by")
    runs = jobs_listed(runs)
    for run in runs:
        run.status_url = reverse("analysis-detail", args=[run.pk])
        run.period = analysis_period(run)
    context = {
        "area": access.area,
        "holds": _holdings(access.area),
        "imports": imports,
        "survey_rounds": survey_rounds(area=access.area),
        "runs": runs,
        "analyses": access.can("analyse"),
        # The import options as last posted, so a refused upload keeps what was typed.
        "options": [(name, request.POST.get(name, "")) for name in OPTIONS],
        "delimiter_choices": DELIMITER_CHOICES,
        "delimiter_other": request.POST.get("delimiter_other", ""),
        "under_way": (RunStatus.QUEUED, RunStatus.RUNNING),
        "run_again": RUN_AGAIN,
        # What the script writes in a row's status as its job moves on (layers/static/data/jobs.js).
        "job_words": _job_words(),
        # The map colours the blocks by one analysis: the pinned one, else the latest finished.
        "on_the_map": analysis_shown(access.area),
        # Which formats each kind takes, for the form's script (layers/static/data/imports.js).
        "formats_of": {kind: list(formats) for kind, formats in FORMATS_OF.items()},
        # And which options each kind and format uses: the script hides the others.
        "options_of": OPTIONS_OF,
        **forms_shown,
    }
    return render(request, "layers/data.html", context)


def _job_words() -> dict:
    """The words of layers/templates/layers/job_status.html, for the script that updates it,
    and the zone its times are in."""
    return {
        "status": dict(RunStatus.choices),
        "stopping": _("Stopping…"),
        # A running import's Rows column (layers/templates/layers/data.html).
        "read_so_far": _("Read so far: %(rows)s"),
        "stalled": _("No progress since %(time)s — the worker may have stopped"),
        "stopping_stalled": _(
            "Stopping… — the stop waits for the worker's next report; none since %(time)s"
        ),
        "unclaimed": _(
            "Queued since %(time)s — no worker has taken it; is the task worker running?"
        ),
        "zone": timezone.get_current_timezone_name(),
    }


def _import(request, area) -> ImportForm | None:
    """Queue the upload (None) or give the form back with what is wrong, nothing stored."""
    form = ImportForm(request.POST, request.FILES)
    refusal = upload_refusal(request)
    if refusal:
        form.add_error(None, refusal)
        return form
    if not form.is_valid():
        return form
    # Only what was filled in: an empty box means "not given", as in the API.
    given = {name: value for name in OPTIONS if (value := request.POST.get(name, "")).strip()}
    try:
        given.update(_delimiter(request))
    except ImportRefused as refused:
        form.add_error(None, f"{refused.field}: {refused.message}")
        return form
    # Without the page's script every option is shown; those this kind and format do not use
    # are left out (the importer would ignore them) and named, so nobody thinks they counted.
    used = OPTIONS_OF[form.cleaned_data["kind"]].get(form.cleaned_data["format"] or "auto")
    ignored = [name for name in given if used is not None and name not in used]
    given = {name: value for name, value in given.items() if name not in ignored}
    options = ImportUploadSerializer(data=given, partial=True)
    if not options.is_valid():
        for name, errors in options.errors.items():
            form.add_error(None, f"{name}: {' '.join(map(str, errors))}")
        return form
    upload = form.cleaned_data["file"]
    refusal = upload_refusal(request, upload)
    if refusal:
        form.add_error("file", refusal)
        return form
    try:
        job = import_submit(
            area=area,
            user=request.user,
            upload=upload,
            kind=form.cleaned_data["kind"],
            fmt=form.cleaned_data["format"] or "auto",
            raw=options.validated_data,
        )
    except ImportRefused as refused:
        field = refused.field if refused.field in form.fields else None
        form.add_error(field, refused.message if field else f"{refused.field}: {refused.message}")
        return form
    messages.success(
        request,
        _("%(file)s is queued for import (job %(id)s).") % {"file": job.file_name, "id": job.pk},
    )
    if ignored:
        messages.info(
            request,
            _("Not used for this kind and format, so ignored: %(options)s.")
            % {"options": ", ".join(ignored)},
        )
    return None


def _delimiter(request) -> dict:
    """The delimiter chosen in the list, or the one typed when it says "Other…" ({} if none)."""
    chosen = request.POST.get("delimiter", "")
    typed = request.POST.get("delimiter_other", "")
    if chosen == "other":
        if not typed:
            raise ImportRefused("delimiter", _("Type the other delimiter, e.g. ':'."))
        return {"delimiter": typed}
    if typed:  # both filled in: which one was meant is not ours to guess
        raise ImportRefused(
            "delimiter",
            _("Choose “Other…” in the list to use the delimiter typed, or empty its box."),
        )
    return {"delimiter": chosen} if chosen else {}


def _analyse(request, area) -> AnalysisForm | None:
    form = AnalysisForm(request.POST)
    if not form.is_valid():
        return form
    data = {
        "from": form.cleaned_data["date_from"].strip(),
        "to": form.cleaned_data["date_to"].strip(),
        "categories": form.cleaned_data["categories"],
    }
    data = {k: v for k, v in data.items() if v}
    data["fdr"] = form.cleaned_data["fdr"]
    try:
        run = analysis_queue(area=area, data=data, user=request.user)
    except ValidationError as invalid:
        for name, errors in invalid.message_dict.items():
            field = {"from": "date_from", "to": "date_to"}.get(name, name)
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return form
    messages.success(request, _("The analysis is queued (run %(id)s).") % {"id": run.pk})
    return None


def _run_again(request, area) -> None:
    """Queue a new analysis with the parameters of a stopped or failed one, its seed included,
    so it gives what that one would have given on the same data. The old run stays as it is.
    Asked again while that new one is queued or running, the page names it and queues nothing:
    what the analyst wants, the analysis under way, is there already, so it is no error."""
    run = get_object_or_404(AnalysisRun.objects.filter(area=area), pk=posted_id(request, "run"))
    run = job_orphan_end(run)  # a run whose worker died has failed, and may run again
    if run.status not in RUN_AGAIN:
        messages.error(
            request,
            _("Analysis %(id)s is %(status)s: only a stopped or failed analysis is run again.")
            % {"id": run.pk, "status": run.get_status_display().lower()},
        )
        return
    try:
        again, queued = analysis_queue_again(run=run, user=request.user)
    except ValidationError as refused:  # e.g. the crime of its period has been deleted since
        messages.error(request, " ".join(refused.messages))
        return
    if not queued:  # a double click, a retried POST, or a colleague's: the run under way answers
        messages.info(
            request,
            _(
                "Analysis %(old)s is already being run again as analysis %(id)s (%(status)s):"
                " no second run was queued."
            )
            % {"old": run.pk, "id": again.pk, "status": again.get_status_display().lower()},
        )
        return
    messages.success(
        request,
        _("Analysis %(id)s is queued with the parameters of analysis %(old)s.")
        % {"id": again.pk, "old": run.pk},
    )


def _delete_run(request, area) -> None:
    run = get_object_or_404(AnalysisRun.objects.filter(area=area), pk=posted_id(request, "run"))
    run = job_orphan_end(run)  # a run whose worker died is over, and may go
    number = run.pk  # gone from the object once deleted
    try:
        analysis_delete(run=run, user=request.user)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return
    messages.success(request, _("Analysis %(id)s is deleted.") % {"id": number})


def _delete_import(request, area) -> None:
    """Delete a crime import with the rows it stored (the wrong file); the job stays, marked."""
    job = get_object_or_404(ImportJob.objects.filter(area=area), pk=posted_id(request, "job"))
    job = job_orphan_end(job)  # an import whose worker died failed, and stored nothing
    try:
        deleted = import_delete(job=job, user=request.user)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return
    messages.success(
        request,
        ngettext(
            "Import %(id)s is deleted with the %(rows)s row it stored.",
            "Import %(id)s is deleted with the %(rows)s rows it stored.",
            deleted,
        )
        % {"id": job.pk, "rows": deleted},
    )


def _delete_survey(request, area) -> None:
    """Delete a survey round: the area's results of the period posted (the wrong survey file)."""
    period = request.POST.get("period", "")
    try:
        gone = survey_round_delete(area=area, period=period, user=request.user)
    except SurveyResult.DoesNotExist:  # e.g. deleted already, in another tab
        messages.error(request, no_survey_round(period))
        return
    messages.success(
        request,
        ngettext(
            "The survey results of period %(period)s are deleted (%(blocks)s block).",
            "The survey results of period %(period)s are deleted (%(blocks)s blocks).",
            gone.blocks,
        )
        % {"period": gone.period, "blocks": gone.blocks},
    )


def _stop(request, jobs, field: str) -> None:
    """Stop a queued or running import or analysis: the row says "Stopping…" until the worker
    has rolled it back (a queued one, or one whose worker died, is stopped at once)."""
    job = get_object_or_404(jobs, pk=posted_id(request, field))  # job_stop ends it if orphaned
    try:
        job = job_stop(job=job, user=request.user)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return
    # Stopped at once (queued, or its worker gone) or stopping (its worker rolls it back): the
    # message says which, as the row does.
    stopped = job.status == RunStatus.STOPPED
    if isinstance(job, ImportJob):
        message = (
            _("The import of %(file)s is stopped: nothing of it is kept.")
            if stopped
            else _("Stopping the import of %(file)s: nothing of it is kept.")
        ) % {"file": job.file_name}
    else:
        message = (
            _("Analysis %(id)s is stopped: nothing of it is kept.")
            if stopped
            else _("Stopping analysis %(id)s: nothing of it is kept.")
        ) % {"id": job.pk}
    messages.success(request, message)


def _choose_shown(request, area, *, pin: bool) -> None:
    """Pin a finished run to everyone's map, or let the map follow the latest run again."""
    if not pin:
        analysis_unpin(area=area, user=request.user)
        messages.success(request, _("The map shows the latest finished analysis again."))
        return
    run = get_object_or_404(AnalysisRun.objects.filter(area=area), pk=posted_id(request, "run"))
    try:
        analysis_pin(run=run, user=request.user)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return
    messages.success(
        request,
        _("The map shows analysis %(id)s until you choose another; new analyses do not replace it.")
        % {"id": run.pk},
    )
