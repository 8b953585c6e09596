"""Versioned artifacts kept inside an artifact root (SPEC section 5).

  uri.py       store://<kind>/<project>/<key>[#version][:tag][@uid] grammar, resolve_store_url
  root.py      which root (flag > env > config.yaml > local default), {{project}} expansion
  layout.py    where blobs, records and tags live below a project's root
  storeio.py   small reads/writes, create-only writes per backend
  records.py   canonical JSON, uid, integrity of stored records
  producer.py  who/where/what produced a version (user, host, command, git)
  history.py   one key's versions and tags; selector resolution
  view.py      a read-only, hash-verifying filesystem over one stored version
  content.py   hashing a source, manifests, uploading missing blobs with the engine
  dataset.py   CSV/Parquet schema, row count, preview and stats (pyarrow, optional)
  store.py     artifact log: hash, dedup, upload, claim a version (create-only)
  fetch.py     artifact get: copy a version out, verified, leaving nothing on failure
  catalog.py   artifact list, show and tag

Nothing here is imported at dsctl startup; fsspec and pyarrow are imported lazily.
"""
