"""PDF (PAdES) signatures: the organisation's signature on outgoing PDFs, checks on incoming ones.

The signature that survives the national axis is the one inside the PDF (AXIS.md §9), so this is
where the agent signs and verifies documents. Signing lives in :mod:`agent.signing.pdf_sign`,
verification in :mod:`agent.signing.pdf_verify`; import from here.
"""

from __future__ import annotations

from agent.signing.pdf_sign import DEFAULT_FIELD_NAME, PdfSignOptions, SealAppearance, sign_pdf
from agent.signing.pdf_verify import verify_pdf

__all__ = ["DEFAULT_FIELD_NAME", "PdfSignOptions", "SealAppearance", "sign_pdf", "verify_pdf"]
