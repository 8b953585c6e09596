"""Shell completion helpers: profile names, and `ds://<profile>/` in URL arguments.

They run in completion mode, before the root callback, so they read the
config dir from the parsed root parameters themselves.
"""

from __future__ import annotations

from click.shell_completion import CompletionItem


def _profile_names(ctx) -> list[str]:
    from .. import config
    from ..profiles import store

    root = ctx.find_root()
    settings = config.Settings(config_dir=root.params.get("config_dir"))
    try:
        with config.use(settings):
            return sorted(store.load_all())
    except Exception:  # noqa: BLE001 - completion must never crash the shell
        return []


def profile_names(ctx, param, incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(n) for n in _profile_names(ctx) if n.startswith(incomplete)]


def urls(ctx, param, incomplete: str) -> list[CompletionItem]:
    if "ds://".startswith(incomplete) and incomplete:
        return [CompletionItem(f"ds://{n}/") for n in _profile_names(ctx)]
    if incomplete.startswith("ds://") and "/" not in incomplete[5:]:
        return [CompletionItem(f"ds://{n}/") for n in _profile_names(ctx)
                if f"ds://{n}/".startswith(incomplete)]
    return [CompletionItem(incomplete, type="file")]
