"""Generated rows for the benchmarks: source photos and faces, no image files behind them."""

import random


def photos_and_faces_create(
    identities: list,
    statuses_by_identity: list[list[str]],
    *,
    photos_each: int,
    detector: str,
    generator: random.Random,
) -> None:
    """Give each saved identity `photos_each` shared source photos and one face per status."""
    from identities.models import Face, SourceImage

    source_images = SourceImage.objects.bulk_create(
        (
            SourceImage(
                identity=identity,
                sha256=f"{identity.pk:056d}{photo:08d}",
                file=f"bench/{identity.pk}-{photo}.jpg",
                byte_size=50_000,
                width=640,
                height=480,
                origin=SourceImage.Origin.URL,
                origin_detail=f"https://example.org/{identity.pk}/{photo}.jpg",
                status=SourceImage.Status.FACES,
            )
            for identity in identities
            for photo in range(photos_each)
        ),
        batch_size=2000,
    )
    faces = (
        Face(
            identity=identity,
            source_image=source_images[index * photos_each + number % photos_each],
            file=f"bench/face-{identity.pk}-{number}.jpg",
            box_left=number,
            box_top=0,
            box_width=80,
            box_height=80,
            detector=detector,
            phash=generator.getrandbits(63),
            status=status,
        )
        for index, (identity, statuses) in enumerate(zip(identities, statuses_by_identity, strict=True))
        for number, status in enumerate(statuses)
    )
    Face.objects.bulk_create(faces, batch_size=5000)
