from django.core.management.base import BaseCommand

from recognition.services.results import results_cleanup


class Command(BaseCommand):
    help = (
        "Delete recognition results older than FACESITE_RESULT_TTL_HOURS, with their photos, face "
        "chips and figures. Each upload runs it too; schedule it (e.g. hourly) for a quiet site."
    )

    def handle(self, *args, **options):
        deleted = results_cleanup()
        self.stdout.write(f"Deleted {deleted} expired recognition result{'s' if deleted != 1 else ''}.")
