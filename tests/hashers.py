from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Still Argon2 (the hash says so), with test-sized cost so the suite stays fast."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1
