"""graph-batch: bulk changes to Microsoft Teams virtual events through Microsoft Graph."""

__version__ = "0.1.0"
