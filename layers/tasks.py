"""Background work of the layers app, run by the django-tasks worker (`manage.py db_worker`)."""

from django_tasks import task


@task()
def import_job_task(job_id: int) -> None:
    from layers.services import import_job_execute

    import_job_execute(job_id=job_id)
