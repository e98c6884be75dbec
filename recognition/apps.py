from django.apps import AppConfig


class RecognitionConfig(AppConfig):
    name = "recognition"

    def ready(self) -> None:
        # Registers recognition's job kinds, so every process knows them.
        import recognition.tasks  # noqa: F401
        from facesite.accounts import password_changed
        from identities.panels import identity_panel_register
        from identities.signals import faces_changed, faces_moved
        from recognition.gallery.recognisability import recognisability_panel
        from recognition.gallery.sync import faces_changed_receiver, faces_moved_receiver
        from recognition.services.tokens import password_changed_receiver

        # Approvals, rejections and imports start the gallery job (after their commit).
        faces_changed.connect(faces_changed_receiver, dispatch_uid="recognition.gallery")
        # Faces moved to another identity: their rows are re-filed inside the move.
        faces_moved.connect(faces_moved_receiver, dispatch_uid="recognition.gallery.moved")
        password_changed.connect(password_changed_receiver, dispatch_uid="recognition.tokens")
        # The identity page shows how recognisable the person is; identities cannot
        # import recognition, so recognition hands it the panel.
        identity_panel_register("recognition/_recognisability.html", recognisability_panel)
