"""Settings for the test suite: production settings with a throwaway key and plain HTTP."""

import os

os.environ.setdefault("SECRET_KEY", "insecure-key-for-the-test-suite-only-" + "x" * 30)
# Background tasks run inside the request, unless a test starts a real worker (TASKS_BACKEND=database).
os.environ.setdefault("TASKS_BACKEND", "immediate")

from archive_project.settings import *  # noqa: F403

# The test client and the browser tests' live server speak plain HTTP.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Fast hashing: tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: the upload tests start a real worker process on the same test database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "db.sqlite3-test")}  # noqa: F405
