"""One exception family for problems a person can fix. Messages say what and what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from impact.ingest.report import ValidationReport


class ImpactError(Exception):
    """Base of every error meant for people rather than developers."""


class InvalidInput(ImpactError):
    """An argument or option the user gave is not one Impact accepts."""


class NotFound(ImpactError):
    """A named dataset, study, metric or model does not exist."""


class DuplicateUpload(ImpactError):
    """The same file (same checksum) was already stored."""


class RowsAlreadyStored(DuplicateUpload):
    """Rows of the file are already stored under its dataset name (a cumulative export)."""

    def __init__(self, message: str, *, dataset: str, stored: int, rows: int):
        self.dataset, self.stored, self.rows = dataset, stored, rows
        super().__init__(message)


class StorageFull(ImpactError):
    """A disk (the warehouse's or the temporary folder's) ran out of space."""


class WarehouseBusy(ImpactError):
    """Another writer held the warehouse for longer than we are willing to wait."""


class WarehouseUnavailable(ImpactError):
    """The warehouse could not be opened for reading just now (a page retries)."""


class ValidationFailed(ImpactError):
    """A file broke one or more rules of the data contract; nothing was written."""

    def __init__(self, report: ValidationReport):
        self.report = report
        super().__init__(report.summary())


class NotEstimable(ImpactError):
    """The data cannot support this estimate (an empty arm, no variance, too few units)."""


class PermissionDenied(ImpactError):
    """The user's role does not allow this change."""


class InUse(ImpactError):
    """An upload a study depends on was asked to be deleted without forcing it."""

    def __init__(self, message: str, *, dependents: list[str]):
        self.dependents = dependents
        super().__init__(message)
