"""`rapport bench NAME ...`: benchmarks that print their figures beside a baseline measured in the same run."""

from rapport.core.dispatch import RegistryCommand


class Command(RegistryCommand):
    help = "Run a benchmark; each prints medians and p95s beside its baseline, measured in the same run."
    dest = "benchmark"
    module_name = "bench"
