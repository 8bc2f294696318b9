"""The exchange folders shared with the document system (QLVB&ĐH): the folder contract.

=============  ==================================================================================
``atomic``     write a file / publish a folder / move, all or nothing; disk full -> DiskFullError
``layout``     where the folders are: per organ or shared, configurable names, the work area
``pickup``     find complete items (atomic rename or quiescence), claim them into the work area
``schema``     the metadata file and status-out file formats (pydantic)
``metadata``   read a document folder / status-out file, every problem at once with its place
``mapping``    metadata -> the edXML package model (:mod:`agent.core.edxml.model`)
``inbox``      spool a received package, deliver it to inbox/ atomically, record later changes
``archive``    sent/, failed/ (with error files), quarantine/
``receipts``   receipts/<claim>.json: each sent document's status timeline, rewritten whole
``reconcile``  start-up: temporary leftovers, claims without a journal row, missing files
=============  ==================================================================================

docs/folder-contract.md is the contract as the document-system vendor reads it.
"""
