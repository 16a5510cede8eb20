"""The local Hugging Face cache as a model source: faster-whisper's own downloads land there.

Read only, never the network; huggingface_hub is imported on first use so `rtstt --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path

from rtstt.models.checks import is_complete_snapshot


class HfCache:
    """Snapshots of model repositories in one cache folder, scanned at most once per lookup round.

    Make a new one per round (a `resolve` or an `installed`), so a model downloaded meanwhile is seen.
    """

    def __init__(self, cache_dir: Path | None = None) -> None:
        """`cache_dir` None means huggingface_hub's own (HF_HUB_CACHE / HF_HOME)."""
        self.cache_dir = cache_dir
        self._scan: dict[str, list[Path]] | None = None

    def snapshot(self, repo_id: str) -> Path | None:
        """A complete snapshot of `repo_id`: the main revision, else the newest other one."""
        try:
            from huggingface_hub import scan_cache_dir, try_to_load_from_cache
        except ImportError:
            return None
        try:
            hit = try_to_load_from_cache(repo_id, "model.bin", cache_dir=self.cache_dir)
        except Exception:  # a missing or corrupt cache is simply "not cached"
            hit = None
        if isinstance(hit, str) and is_complete_snapshot(Path(hit).parent):
            return Path(hit).parent
        # Another revision than main (a pinned download) still counts; newest first. One scan per lookup round.
        if self._scan is None:
            self._scan = {}
            try:
                info = scan_cache_dir(self.cache_dir)
            except Exception:
                return None
            for repo in info.repos:
                if repo.repo_type == "model":
                    revs = sorted(repo.revisions, key=lambda r: r.last_modified, reverse=True)
                    self._scan[repo.repo_id.lower()] = [Path(r.snapshot_path) for r in revs]
        return next((p for p in self._scan.get(repo_id.lower(), []) if is_complete_snapshot(p)), None)
