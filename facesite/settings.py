"""Settings for facesite. Every value comes from the environment (see README.md)."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from facesite.env import envbool, envfloat, envint, envjson, envlist, envstr

# numpy's OpenBLAS reads this once, when numpy is first imported, which in every process
# the site starts (manage.py, the workers, WSGI) comes after the settings. Its extra
# thread busy-waits for a while after each product, such as a gallery search, on the core
# the next photo's detection needs: on 2 busy cores it burnt a third of a core beside
# YuNet in the recognize service, and one thread made a search of 100,000 faces faster,
# not slower (p50 2-6 ms against 16-20; benchmarks/detect_in_process.py, gallery_search.py).
# A value set by the user wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("FACESITE_VAR_DIR", str(BASE_DIR / "var")))


def _development_secret_key() -> str:
    """Generate a key once and keep it under var/, so sessions survive restarts.

    var/ and the key are private from the moment they exist (0o700, 0o600): writing the
    key and then narrowing its mode would leave a moment in which others could read it.
    """
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as written:
            written.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


DEBUG = envbool("DEBUG", False)
SECRET_KEY = envstr("SECRET_KEY", "") or _development_secret_key()
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

# Behind TLS (production) these make cookies and redirects safe; `check --deploy`
# reports nothing once SECURE_SSL=1.
SECURE_SSL = envbool("SECURE_SSL", False)
SECURE_SSL_REDIRECT = SECURE_SSL
SESSION_COOKIE_SECURE = SECURE_SSL
CSRF_COOKIE_SECURE = SECURE_SSL
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if SECURE_SSL else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_SSL
SECURE_HSTS_PRELOAD = SECURE_SSL
if envbool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_rq",
    "axes",
    "identities",
    "pipeline",
    "recognition",
    "facesite",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "facesite.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless its view says otherwise (only the login page does).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a locked-out login into the lockout page; keep it last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "facesite.urls"
WSGI_APPLICATION = "facesite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict:
    url = envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'facesite.sqlite3'}")
    database = dj_database_url.parse(url, conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60))
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # SQLite has no row locks: IMMEDIATE transactions take the write lock up front,
        # so concurrent writers queue (busy timeout) instead of failing mid-transaction.
        database["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # Each web thread keeps its connection between requests, as with PostgreSQL:
        # opening one (Django registers its SQL functions on each) cost 1.7 ms of CPU,
        # a sixth of a review vote's.
    return database


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# django-axes refuses a locked-out login before any password is checked; then ModelBackend
# with a user's permissions read in one query (every page checks a role).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "facesite.backends.RoleBackend"]
# Login throttling: after this many failed logins for one username, or from one address,
# further attempts are refused until the cool-off has passed since the last failure. The
# failures are rows in the database, so every web process sees the same count.
FACESITE_LOGIN_FAILURES = envint("FACESITE_LOGIN_FAILURES", 5, minimum=1)
FACESITE_LOGIN_COOLOFF_MINUTES = envint("FACESITE_LOGIN_COOLOFF_MINUTES", 15, minimum=1)
# Behind a reverse proxy every request comes from the proxy's address: name the header
# that carries the client's (e.g. X-Forwarded-For; its last address is the one the proxy saw).
FACESITE_CLIENT_IP_HEADER = envstr("FACESITE_CLIENT_IP_HEADER", "")
AXES_FAILURE_LIMIT = FACESITE_LOGIN_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=FACESITE_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "facesite.login_throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "facesite.login_throttle.client_ip_address"
# Failures only: successful logins would be a table that grows forever (the audit log
# records what users do).
AXES_DISABLE_ACCESS_LOG = True
# Its start-up banner would open every manage.py command's output.
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = envstr("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
# Face images are never served from a public URL; the authenticated image views read
# them through the storage API. MEDIA_URL stays unset on purpose.
STORAGES = {
    "default": {
        "BACKEND": envstr("FILE_STORAGE", "identities.storage.AtomicFileSystemStorage"),
        "OPTIONS": envjson("FILE_STORAGE_OPTIONS", {}),
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = envstr("REDIS_URL", f"unix://{REDIS_SOCKET}?db=0")
# One queue per kind of work, each with its own timeout (seconds).
RQ_QUEUES = {
    "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300},
    "scrape": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600},
    "process": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600},
    "train": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 24 * 3600},
}
# Jobs are enqueued only once the transaction that asked for them has committed.
# SupervisedWorker: a killed worker takes its work horse (the job's process) with it.
RQ = {"COMMIT_MODE": "on_db_commit", "WORKER_CLASS": "pipeline.worker.SupervisedWorker"}

# Images: limits applied to every file that enters (imports, scrapes, uploads).
FACESITE_MAX_IMAGE_BYTES = envint("FACESITE_MAX_IMAGE_BYTES", 25 * 1024 * 1024, minimum=1)
FACESITE_MAX_IMAGE_PIXELS = envint("FACESITE_MAX_IMAGE_PIXELS", 40_000_000, minimum=1)
# Crops: the margin around the detected box (fraction of its size), the stored square
# size in pixels, and the smallest detected face kept for review.
FACESITE_CROP_MARGIN = envfloat("FACESITE_CROP_MARGIN", 0.2)
FACESITE_CROP_SIZE = envint("FACESITE_CROP_SIZE", 160, minimum=16)
FACESITE_MIN_FACE_SIZE = envint("FACESITE_MIN_FACE_SIZE", 40, minimum=1)
# Turn crops of faces with landmarks so the eyes are level (off: FaceNet was trained on box crops).
FACESITE_CROP_ALIGN_EYES = envbool("FACESITE_CROP_ALIGN_EYES", False)
# A new face within this many bits (difference hash) of one the identity already has is a
# near-duplicate: 6 catches 85% of resized or re-encoded copies and 0.4% of other photos;
# -1 turns the check off.
FACESITE_DUPLICATE_HASH_DISTANCE = envint("FACESITE_DUPLICATE_HASH_DISTANCE", 6, minimum=-1)
# Review: how long a reviewer holds the faces of a batch before they return to the pool,
# and how many agreeing votes decide a face (a split goes to another reviewer).
FACESITE_REVIEW_LEASE_SECONDS = envint("FACESITE_REVIEW_LEASE_SECONDS", 300, minimum=10)
FACESITE_REVIEW_CONSENSUS = envint("FACESITE_REVIEW_CONSENSUS", 2, minimum=1)
# Review assistance (a score, a band and a hint for each pending crop): "off", "suggest"
# (order the crops and show the hints) or "trust" (also: a likely-right crop is decided by
# one vote, and a likely-not-a-face crop is rejected automatically, audited and reversible).
REVIEW_ASSIST_MODES = ("off", "suggest", "trust")
FACESITE_REVIEW_ASSIST = envstr("FACESITE_REVIEW_ASSIST", "suggest")
if FACESITE_REVIEW_ASSIST not in REVIEW_ASSIST_MODES:
    raise ImproperlyConfigured(
        f"FACESITE_REVIEW_ASSIST must be one of {', '.join(REVIEW_ASSIST_MODES)}; "
        f"got {FACESITE_REVIEW_ASSIST!r}."
    )
# A JSON file of search providers that add to or replace the Google and Bing presets.
FACESITE_SCRAPE_PROVIDERS = envstr("FACESITE_SCRAPE_PROVIDERS", "")
# Scraping reaches public addresses only: a results page must not make the server fetch
# from its own network (loopback, private, link-local such as cloud metadata). On for a
# search site inside your network, as the tests' own site on 127.0.0.1.
FACESITE_SCRAPE_ALLOW_PRIVATE = envbool("FACESITE_SCRAPE_ALLOW_PRIVATE", False)
# Readiness of an identity for training (the original project's 30 minimum, 50 target).
FACESITE_MIN_APPROVED_FACES = envint("FACESITE_MIN_APPROVED_FACES", 30, minimum=1)
FACESITE_TARGET_APPROVED_FACES = envint("FACESITE_TARGET_APPROVED_FACES", 50, minimum=1)

# Recognition: how long an upload's result (its photo copy, face chips and figures) lives
# before the cleanup deletes it; a result the user asked to keep does not expire.
FACESITE_RESULT_TTL_HOURS = envint("FACESITE_RESULT_TTL_HOURS", 24, minimum=1)
# FaceNet's cosine similarity at or above which two faces are one person (lookalikes,
# same-person pairs, review assistance; verification and the floor of the gallery's
# "unknown" threshold when the gallery searches FaceNet alone; the fused embedder has its
# own LFW figure); 0 uses the LFW-calibrated 0.35.
FACESITE_VERIFICATION_THRESHOLD = envfloat("FACESITE_VERIFICATION_THRESHOLD", 0.0)
# How often the gallery may name a stranger (its best match reaching the "unknown"
# threshold): the threshold rises with the gallery's size to keep this rate.
FACESITE_OPEN_SET_FAR = envfloat("FACESITE_OPEN_SET_FAR", 0.01)
if not 0 < FACESITE_OPEN_SET_FAR < 1:
    raise ImproperlyConfigured(f"FACESITE_OPEN_SET_FAR must be between 0 and 1; got {FACESITE_OPEN_SET_FAR}.")
# What the gallery searches with: "facenet-dlib" (FaceNet fused with dlib's ResNet: more
# enrolled people named at the same stranger rate, about twice the embedding time per
# face), "facenet" (FaceNet alone), or "active-model" (the active trained image model's
# layer before the softmax). A chosen embedder other than FaceNet answers once every
# gallery face has a row of it; FaceNet until then, and whenever no image model is active.
GALLERY_EMBEDDERS = ("facenet-dlib", "facenet", "active-model")
FACESITE_GALLERY_EMBEDDER = envstr("FACESITE_GALLERY_EMBEDDER", "facenet-dlib")
if FACESITE_GALLERY_EMBEDDER not in GALLERY_EMBEDDERS:
    raise ImproperlyConfigured(
        f"FACESITE_GALLERY_EMBEDDER must be one of {', '.join(GALLERY_EMBEDDERS)}; "
        f"got {FACESITE_GALLERY_EMBEDDER!r}."
    )

# Each web process loads the networks of recognition and the augmentation preview in a
# background thread once it has started (recognition/services/warmup.py), so the first
# recognition does not wait 20-30 s for them. It takes the memory the first recognition
# would take anyway (about 2 GiB per web process; benchmarks/warm_up.py).
FACESITE_WARM_MODELS = envbool("FACESITE_WARM_MODELS", True)
FACESITE_WARM_UP = ["recognition.services.warmup.models_warm"] if FACESITE_WARM_MODELS else []

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Stored faces and photos are personal data: only the account that runs the site reads them.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"forbidden_without_traceback": {"()": "facesite.log_filters.ForbiddenWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"filters": ["forbidden_without_traceback"]}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
}
