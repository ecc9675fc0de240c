"""What the reporting rules refuse: claims, edits of final reports, reviews, critical results,
finalising without choosing which document is the report.

Each error's message is written for the radiologist or manager who sees it. PDF
upload refusals live in :mod:`mic_desktop.services.reporting.pdf_checks`.
"""

from __future__ import annotations

from mic_desktop.services.errors import PermissionDeniedError, ServiceError, ValidationError


class AlreadyClaimedError(ServiceError):
    """Another radiologist claimed the study first."""

    def __init__(self, radiologist_name: str) -> None:
        super().__init__(
            f"This study is already claimed by {radiologist_name}. "
            "It stays on the worklist under their name."
        )
        self.radiologist_name = radiologist_name


class ScanNotCompletedError(ServiceError):
    """The appointment has no completed scan to report yet."""


class NotClaimedError(PermissionDeniedError):
    """The report is not assigned to the person trying to write it."""


class ReportFinalError(ServiceError):
    """The report is final (signed) and locked."""


class ReportLockedError(ReportFinalError):
    def __init__(self) -> None:
        super().__init__(
            "This report is final and can no longer be edited. "
            "Add an addendum to correct or add to it."
        )


class ReportAlreadyFinalError(ReportFinalError):
    def __init__(self, signed_name: str | None) -> None:
        by = f" by {signed_name}" if signed_name else ""
        super().__init__(f"This report was already finalised{by}.")


class ReportNotFinalError(ServiceError):
    """The action needs a final report (an addendum, a review)."""


class AlreadyReviewedError(ServiceError):
    def __init__(self, reviewer_name: str) -> None:
        super().__init__(f"This report was already reviewed by {reviewer_name}.")


class SelfReviewError(PermissionDeniedError):
    def __init__(self) -> None:
        super().__init__("You signed this report: a second radiologist has to review it.")


class CriticalFindingAlreadyAcknowledgedError(ServiceError):
    def __init__(self, told: str) -> None:
        super().__init__(f"This critical result was already recorded as communicated ({told}).")


class DeliveryChoiceRequiredError(ValidationError):
    """A PDF is attached and findings are typed: which one is the report must be chosen."""

    def __init__(self) -> None:
        super().__init__(
            "A PDF is attached and findings are typed, and only one can be the report: "
            "choose to deliver the attached PDF or the typed report with the PDF as an appendix.",
            "delivery",
        )
