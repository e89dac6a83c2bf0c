"""The static results site: lakehouse snapshots (snapshots), the build and a server (build)."""
