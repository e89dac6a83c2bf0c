"""The DVC workspace around the pipeline: remotes, push/pull, health checks, cluster caches.

``remote``     sets up the default local-folder remote and S3 / Cloudflare R2 remotes;
``preflight``  checks that a remote answers before data moves (one message, with the fix);
``transfer``   `kdgat push` / `kdgat pull`: the check, then `dvc push` / `dvc pull`;
``doctor``     reports what the workspace, the local cache and the remote hold, and
``advice``     what `dvc commit` / `dvc checkout` / `dvc pull` / `dvc repro` would restore;
``cluster``    applies the shared-cache settings for many jobs on one file system.

Library functions take plain values (paths, names, strings); ``cli`` is the
``kdgat remote|push|pull|doctor|cluster-config`` front end.
"""
