from django.core.management.base import BaseCommand, CommandError

from facesite.errors import FacesiteError
from pipeline.detection import DEFAULT_DETECTOR, DETECTORS
from pipeline.providers import search_provider_get
from pipeline.services import identities_for_names, scrape_start


class Command(BaseCommand):
    help = (
        "Queue one scrape job per name (on the scrape queue): search images of the person, download "
        "them and send their faces to review. Missing identities are created."
    )

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="+", metavar="NAME", help="A name, quoted if it has spaces.")
        parser.add_argument("--per-identity", type=int, default=100, help="Images to collect per name (100).")
        parser.add_argument(
            "--provider", default="bing", help="Search provider (bing); see FACESITE_SCRAPE_PROVIDERS."
        )
        parser.add_argument("--query-suffix", default="", help='Words added to each name, e.g. "face".')
        parser.add_argument(
            "--detector",
            default=DEFAULT_DETECTOR,
            help=f"Face detector: {', '.join(sorted(DETECTORS))} ({DEFAULT_DETECTOR}).",
        )

    def handle(self, *args, names, per_identity, provider, query_suffix, detector, **options):
        try:
            # Checked before any identity is created for the names.
            search_provider_get(provider)
            identities = identities_for_names(names, actor=None)
            started = scrape_start(
                identities=identities,
                per_identity=per_identity,
                provider=provider,
                query_suffix=query_suffix,
                detector=detector,
                actor=None,
            )
        except FacesiteError as error:
            raise CommandError(str(error)) from None
        for job_run, created in started:
            state = "queued" if created else f"already {job_run.status}"
            self.stdout.write(f"{job_run}: {state}")
