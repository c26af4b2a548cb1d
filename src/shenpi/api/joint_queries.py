"""Who may see which project, stage and joint review through the API, and the queries that load
them whole in a fixed number of statements.

The rule follows the cases': a stage is visible when one of its parts (cases) is visible to the
caller (cases.services.visible_cases, narrowed to the token's scope); a project when one of its
cases is, or when it is led by a department the caller reaches (a project registered but with no
stage yet); a joint review when its stage or case is visible, or when the caller's department leads
it or is invited. A token scoped to items reaches only through the cases of those items.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from shenpi.cases.models import Case, CaseMaterial, without_secrets
from shenpi.joint.models import (
    Annotation,
    JointReview,
    Project,
    ReviewDocument,
    ReviewInvitation,
    SharedMaterial,
    Stage,
    StageItem,
    StagePart,
    StageTemplate,
)

from . import statements


def reach(user, scope) -> tuple[int, ...] | None:
    """The departments the caller reaches by department (None: every one); () when only through
    cases (a token scoped to items) or none at all."""
    if scope is not None and scope.items:
        return ()
    everywhere = user.sees_all_departments or bool(user.department_id and user.department.comprehensive)
    own = None if everywhere else ((user.department_id,) if user.department_id else ())
    if scope is None:
        return own
    if own is None:
        return tuple(scope.departments)
    return tuple(d for d in scope.departments if d in own)


def _everything(user, scope) -> bool:
    return scope is None and reach(user, scope) is None


def visible_projects(user, scope=None) -> QuerySet[Project]:
    projects = Project.objects.all()
    if _everything(user, scope):
        return projects
    cases = statements.visible(user, scope).filter(project_code=OuterRef("code"))
    condition = Exists(cases)
    departments = reach(user, scope)
    if departments is None:
        return projects
    if departments:
        condition |= Q(lead_department_id__in=departments)
    return projects.filter(condition)


def visible_stages(user, scope=None) -> QuerySet[Stage]:
    stages = Stage.objects.all()
    if _everything(user, scope):
        return stages
    cases = statements.visible(user, scope).filter(stage_part__stage_id=OuterRef("pk"))
    return stages.filter(Exists(cases))


def visible_reviews(user, scope=None) -> QuerySet[JointReview]:
    reviews = JointReview.objects.all()
    if _everything(user, scope):
        return reviews
    cases = statements.visible(user, scope)
    condition = (Exists(cases.filter(pk=OuterRef("case_id")))
                 | Exists(cases.filter(stage_part__stage_id=OuterRef("stage_id"))))
    departments = reach(user, scope)
    if departments is None:
        return reviews
    if departments:
        invited = ReviewInvitation.objects.filter(review_id=OuterRef("pk"), department_id__in=departments)
        condition |= Q(lead_department_id__in=departments) | Exists(invited)
    return reviews.filter(condition)


# -- loading whole -----------------------------------------------------------------------------------

def reviews_in_full(reviews: QuerySet[JointReview]) -> QuerySet[JointReview]:
    return reviews.select_related("lead_department", "stage", "case").defer(
        *without_secrets("case__")).prefetch_related(
        Prefetch("invitations", ReviewInvitation.objects.select_related("department", "posted_by")),
        Prefetch("documents", ReviewDocument.objects.order_by("pk").prefetch_related(
            Prefetch("annotations", Annotation.objects.select_related("department", "author").order_by("pk")))),
    )


def stages_in_full(stages: QuerySet[Stage]) -> QuerySet[Stage]:
    return stages.select_related("template", "lead_department", "project").prefetch_related(
        Prefetch("parts", StagePart.objects.select_related("case", "case__version", "item", "department")
                 .defer(*without_secrets("case__")).order_by("pk")),
        Prefetch("shared_materials", SharedMaterial.objects.order_by("pk")),
    )


def project_in_full(project: Project) -> dict:
    """The related rows of a project page: its stages whole, its joint reviews (on its stages or
    its cases), the results its cases reused and its cases outside any stage: eight statements,
    whatever the number of stages, parts, reviews or materials."""
    stages = list(stages_in_full(Stage.objects.filter(project=project)
                                 .order_by("template__seq", "opened_at", "pk")))
    reviews = list(reviews_in_full(JointReview.objects.filter(
        Q(stage__project=project) | Q(case__project_code=project.code)).order_by("opened_at", "pk")))
    reused = list(CaseMaterial.objects.filter(case__project_code=project.code, source_case__isnull=False)
                  .select_related("case", "source_case")
                  .defer(*without_secrets("case__"), *without_secrets("source_case__")).order_by("case_id", "pk"))
    other = list(Case.objects.filter(project_code=project.code, stage_part__isnull=True).defer(*without_secrets())
                 .select_related("item", "version", "department").order_by("pk"))
    return {"api_stages": stages, "api_reviews": reviews, "api_reused": reused, "api_other_cases": other}


def templates_in_full(templates: QuerySet[StageTemplate]) -> QuerySet[StageTemplate]:
    return templates.select_related("project_type", "lead_department").prefetch_related(
        Prefetch("items", StageItem.objects.select_related("item", "item__department").order_by("seq", "pk")))
