"""`rapport eval NAME`: quality evaluations (accuracy, F1...) on held-out and hand-labelled data."""

from rapport.core.dispatch import RegistryCommand


class Command(RegistryCommand):
    help = "Run a quality evaluation and print its figures beside their goals and baselines."
    dest = "evaluation"
    module_name = "evaluation"
