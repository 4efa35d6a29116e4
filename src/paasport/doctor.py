"""`paasport doctor`: can each configured profile run? Read-only checks, plain-words fixes.

For each profile: the platform's optional extra is installed, then the platform's own checks
(`Platform.doctor_checks`): credentials resolve through the standard chain (never printed), and
the buckets, roles, applications and clusters it names exist. Nothing is created or started.
"""

from __future__ import annotations

from dataclasses import dataclass

from paasport.config import ProjectConfig
from paasport.platforms import entry, get_platform_class


@dataclass(frozen=True)
class Check:
    profile: str
    platform: str
    what: str
    ok: bool
    detail: str = ""
    fix: str = ""


def run_checks(config: ProjectConfig) -> list[Check]:
    """Every check of every profile (platforms the config names without a profile, too)."""
    profiles = dict(config.profiles)
    if config.platform not in profiles:
        profiles[config.platform] = config.resolve(config.platform, "platform").profile
    out: list[Check] = []
    for name, profile in sorted(profiles.items()):
        try:
            get_platform_class(profile.platform)
        except ImportError as exc:
            hint = entry(profile.platform).install_hint
            out.append(Check(name, profile.platform, "optional extra", False, str(exc), hint or ""))
            continue
        out.append(Check(name, profile.platform, "optional extra", True, "installed"))
        platform = get_platform_class(profile.platform)(profile, name)
        for what, ok, detail, fix in platform.doctor_checks():
            out.append(Check(name, profile.platform, what, ok, detail, "" if ok else fix))
    return out
