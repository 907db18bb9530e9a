"""policy.yaml: loading it over the shipped defaults, checking it is sane, and asking it questions.

The shipped `templates/policy.yaml` is the single source of every default number; a team's
`records/policy.yaml` overrides any part of it (mappings merge key by key, lists replace).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from csops import yamlio
from csops.calendar import BusinessCalendar
from csops.errors import CsopsError, PolicyError
from csops.i18n import _
from csops.problems import Problem, Problems
from csops.templates import template_text
from csops.timeutil import parse_clock, zone
from csops.vocab import LANGUAGES, LEAVE_KINDS

def deep_merge(base, override):
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(base.get(key), value) if key in base else value
        return merged
    return override


@functools.lru_cache(maxsize=1)
def _defaults_text() -> str:
    return template_text("policy.yaml")


@functools.lru_cache(maxsize=1)
def _shipped_defaults() -> dict:
    return yamlio.load(_defaults_text(), limit=yamlio.POLICY_BYTES, numbers=None)


def default_policy_data(parse_cache: yamlio.ParseCache | None = None) -> dict:
    """The shipped defaults: a fresh copy from `parse_cache`, else one parse per process shared
    by every caller (never edit it in place)."""
    if parse_cache is None:
        return _shipped_defaults()
    return parse_cache.load(_defaults_text(), limit=yamlio.POLICY_BYTES, numbers=None)


class Policy:
    """A policy file's settings, with its business calendar built from them."""

    def __init__(self, data: dict, path: str = "policy.yaml"):
        self.data, self.path = data, path
        self.calendar: BusinessCalendar = BusinessCalendar.from_config(data.get("calendar"), data.get("timezone"))

    @property
    def tz(self):
        return self.calendar.tz

    @property
    def language(self) -> str:
        return str(self.data.get("language") or "zh")

    def section(self, name: str) -> dict:
        value = self.data.get(name)
        return value if isinstance(value, dict) else {}

    def clock(self, section: str, key: str) -> dt.time:
        clocks = self.__dict__.setdefault("_clocks", {})      # read once: asked for per ticket
        if (section, key) not in clocks:
            try:
                clocks[section, key] = parse_clock(self.section(section).get(key), what=f"{section}.{key}")
            except CsopsError as exc:
                raise PolicyError(f"{self.path}: {exc.message}", exc.hint) from None
        return clocks[section, key]

    # -- roles --------------------------------------------------------------------------------

    @property
    def chain(self) -> list[str]:
        return list(self.section("roles").get("chain") or [])

    @property
    def departments(self) -> list[str]:
        return list(self.section("roles").get("departments") or [])

    @property
    def roles(self) -> list[str]:
        return self.chain + self.departments

    def rank(self, role: str) -> int | None:
        """Position in the reporting chain (agent 0 … manager 3); None for departments."""
        ranks = self.__dict__.get("_ranks")
        if ranks is None:                    # asked for every history entry: the chain read once
            ranks = self.__dict__["_ranks"] = {}
            for position, name in enumerate(self.chain):
                if isinstance(name, str):    # a role is a name (the policy check says so of any other)
                    ranks.setdefault(name, position)
        return ranks.get(role) if isinstance(role, str) else None

    def at_least(self, role: str, minimum: str) -> bool:
        rank, floor = self.rank(role), self.rank(minimum)
        return rank is not None and floor is not None and rank >= floor

    def role_matches(self, role: str, specs) -> bool:
        for spec in specs or ():
            spec = str(spec)
            if spec.endswith("+") and self.at_least(role, spec[:-1]):
                return True
            if spec == role:
                return True
        return False

    def permission(self, *keys: str) -> list:
        known = self.__dict__.setdefault("_permissions", {})      # asked for every history entry
        if keys not in known:
            node = self.data.get("permissions") or {}
            for key in keys:
                node = node.get(key) if isinstance(node, dict) else None
            known[keys] = tuple(node or ())
        return list(known[keys])

    def require(self, person, *keys: str, doing: str) -> None:
        """Refused unless `person`'s role is allowed by permissions.<keys> (the one permission check
        of commands that are not workflow steps; those are checked by the engine)."""
        allowed = self.permission(*keys)
        if not self.role_matches(person.role, allowed):
            from csops.engine import allowed_roles, who_is
            from csops.errors import Refused

            raise Refused(_("{who} may not {doing} (allowed: {names})",          # 张伟（客服专员）… 主管及以上
                            who=who_is(person, self), doing=doing, names=allowed_roles(allowed, self)))

    def role_label(self, role: str) -> str:
        return str((self.section("roles").get("labels") or {}).get(role, role))

    def shifts(self) -> dict:
        """Shift name → working intervals (policy `shifts`)."""
        from csops.calendar import parse_intervals

        if "_shifts" not in self.__dict__:     # read once: the score sheet asks per event and person
            self.__dict__["_shifts"] = {str(name): parse_intervals(_hours(spec), f"shifts.{name}")
                                        for name, spec in self.section("shifts").items()}
        return self.__dict__["_shifts"]

    def ticket_kinds(self) -> dict:
        """Ticket kind → the rules it follows (complaint | inquiry | feedback | proactive): policy
        `tickets.kinds` over the shipped ones (`query: {label: 查询, rules: inquiry}`; `name: ~`
        takes a shipped kind away)."""
        if "_kinds" not in self.__dict__:
            kinds = self.section("tickets").get("kinds")
            self.__dict__["_kinds"] = {str(name): str(spec.get("rules", name)) if isinstance(spec, dict) else str(name)
                                       for name, spec in (kinds.items() if isinstance(kinds, dict) else ())
                                       if spec is not None}
        return self.__dict__["_kinds"]

    def channels(self) -> tuple:
        """The channels a ticket may come by: policy `tickets.channels` over the shipped ones
        (`wechat: ~` takes one away)."""
        given = self.section("tickets").get("channels")
        return tuple(str(name) for name, label in (given.items() if isinstance(given, dict) else ())
                     if label is not None)

    def label_of(self, section: str, name: str) -> str:
        """A kind's or channel's label (`wechat` → 微信)."""
        given = self.section("tickets").get(section)
        spec = given.get(name) if isinstance(given, dict) else None
        label = spec.get("label") if isinstance(spec, dict) else spec
        return str(label) if label else name

    def shift_label(self, name: str) -> str:
        """A shift's name as people say it: its `label` in the policy (`早班: {hours: […], label:
        早班}`), else the usual one (周末值班, 休), else its name."""
        spec = self.section("shifts").get(name)
        if isinstance(spec, dict) and spec.get("label"):
            return str(spec["label"])
        return SHIFT_LABELS.get(name, name)

    def personal(self, calendar) -> "Policy":
        """The same rules with one person's own calendar (their duty roster)."""
        return self.with_calendar(calendar)

    def with_calendar(self, calendar) -> "Policy":
        """The same rules with another business calendar."""
        import copy

        clone = copy.copy(self)
        clone.calendar = calendar
        return clone

    def catalog(self) -> dict:
        return self.section("scores").get("catalog") or {}


def load_policy(path: Path, display: str | None = None, parse_cache: yamlio.ParseCache | None = None) -> Policy:
    """Load and check; raises PolicyError naming the first problem. `parse_cache`: the files
    parsed before (Store.parse_cache)."""
    problems = Problems()
    policy = _load(_read(path, display or str(path), problems), display or str(path), problems, parse_cache)
    if problems:
        first = problems.items[0]
        raise PolicyError(first.format(), _('csops validate lists every problem in the policy'))
    return policy


def read_policy(path: Path, display: str, parse_cache: yamlio.ParseCache | None = None
                ) -> tuple[Policy | None, list[Problem]]:
    """(the policy, or None; every problem in it): what validate reports, from one reading."""
    problems = Problems()
    policy = _load(_read(path, display, problems), display, problems, parse_cache)
    return (None if problems else policy), problems.items


def check_text(text: str | bytes, display: str, parse_cache: yamlio.ParseCache | None = None) -> Policy:
    """A policy about to be written: refused (PolicyError) when it would not load."""
    problems = Problems()
    policy = _load(text, display, problems, parse_cache)
    if problems:
        raise PolicyError(problems.items[0].format(), _('the policy was not changed'))
    return policy


def _read(path: Path, display: str, problems: Problems) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as exc:
        problems.add(display, "NO_POLICY", _("cannot read policy: {strerror}", strerror=exc.strerror),
                                           _('run csops init or pass --records'))
        return None


def _load(text: bytes | str | None, display: str, problems: Problems,
          parse_cache: yamlio.ParseCache | None = None) -> Policy | None:
    if text is None:
        return None
    try:
        user = (parse_cache or yamlio).load(text, limit=yamlio.POLICY_BYTES, aliases=True, numbers=None)
    except yamlio.YamlError as exc:
        problems.add(display, exc.code, exc.message, exc.hint, line=exc.line)
        return None
    if user is None:
        user = {}
    if not isinstance(user, dict):
        problems.add(display, "BAD_POLICY", _('policy.yaml must be a mapping of sections'), line=1)
        return None
    data = deep_merge(default_policy_data(parse_cache), user)
    _check(data, display, problems)
    if problems:
        return None
    try:
        return Policy(data, display)
    except CsopsError as exc:
        problems.add(display, "BAD_CALENDAR", exc.message, exc.hint, key=("calendar",))
        return None


def _is_number(value) -> bool:
    """A finite number (.nan and .inf are YAML floats too, and poison every sum)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value \
        and value not in (float("inf"), float("-inf"))


SHIFT_LABELS = {"day": "白班", "weekend_duty": "周末值班", "off": "休"}

# the rules a ticket's kind may follow (002 日报 asks for 查询 and 主动服务 too)
KIND_RULES = ("complaint", "inquiry", "feedback", "proactive")


_SECRET = re.compile(r"access_token=|[?&]key=[0-9a-f-]{16,}|/robot/send\b|/open-apis/bot/v2/hook/[0-9a-z-]{8,}|"
                     r"https?://", re.I)
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def _check_notify(data: dict, path, problems) -> None:
    """notify.targets: {name: {kind, url_env, secret_env, to}}; a webhook URL, token or secret is
    never written in the records (the repository is read by everyone who clones it)."""
    from csops.vocab import NOTIFY_KINDS as KINDS

    for key, value in _strings(data, ()):
        in_notify = key[:1] == ("notify",)
        if (in_notify and _SECRET.search(value)) or "access_token=" in value:
            problems.add(path, "SECRET_IN_POLICY", _("{key}: a webhook URL or token is written in the policy",
                                                     key=".".join(map(str, key))),
                         _("put it in an environment variable (a CI secret) and name it: url_env: VAR, secret_env: VAR"),
                         key=key)
    notify = data.get("notify")
    targets = notify.get("targets") if isinstance(notify, dict) else None
    for name, spec in (targets.items() if isinstance(targets, dict) else ()):
        where = ("notify", "targets", str(name))
        if not isinstance(spec, dict) or spec.get("kind") not in KINDS:
            problems.add(path, "BAD_POLICY", _("notify.targets.{name}.kind must be one of {names}", name=name,
                                               names=", ".join(KINDS)), key=where)
            continue
        for field in ("url_env", "secret_env"):
            if spec.get(field) is not None and not _ENV_NAME.match(str(spec[field])):
                problems.add(path, "BAD_POLICY", _("notify.targets.{name}.{field}: name an environment variable "
                                                   "(e.g. DINGTALK_URL), not {value!r}", name=name, field=field,
                                                   value=str(spec[field])[:20]), key=where + (field,))
        if spec["kind"] != "email" and not spec.get("url_env"):
            problems.add(path, "BAD_POLICY", _("notify.targets.{name}: url_env names the variable holding the "
                                               "robot's URL", name=name), key=where)


def _strings(node, key: tuple):
    if isinstance(node, dict):
        for name, value in node.items():
            yield from _strings(value, key + (str(name),))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, key + (index,))
    elif isinstance(node, str):
        yield key, node


def _check_kinds(tickets, path, problems) -> None:
    """tickets.kinds: name → {label, rules} (a kind other than complaint follows inquiry, feedback or
    proactive rules); tickets.channels: name → label."""
    if not isinstance(tickets, dict):
        return
    kinds = tickets.get("kinds")
    if kinds is not None:
        if not isinstance(kinds, dict) or not kinds:
            problems.add(path, "BAD_POLICY", _("tickets.kinds: name each kind with its label and rules"),
                         key=("tickets", "kinds"))
        else:
            for name, spec in kinds.items():
                if spec is None:
                    continue                       # a shipped kind taken away
                rules = spec.get("rules", name) if isinstance(spec, dict) else None
                allowed = KIND_RULES if name == "complaint" else KIND_RULES[1:]
                if rules not in allowed or (name != "complaint" and rules == "complaint"):
                    problems.add(path, "BAD_POLICY", _("tickets.kinds.{name}: rules must be one of {names}",
                                                       name=name, names=", ".join(allowed)),
                                 key=("tickets", "kinds", str(name)))
    channels = tickets.get("channels")
    if channels is not None and (not isinstance(channels, dict) or not channels):
        problems.add(path, "BAD_POLICY", _("tickets.channels: name each channel with its label"),
                     key=("tickets", "channels"))


def _hours(spec):
    """A shift's working hours: the list itself, or its `hours` (a shift with a label)."""
    return spec.get("hours") if isinstance(spec, dict) else spec


SECTIONS = ("calendar", "shifts", "tickets", "returns", "leave", "scores", "roles", "permissions", "audit")


def _check(data: dict, path: str, problems: Problems) -> None:
    """Sanity of everything a later computation relies on; each problem names its key."""
    for name in SECTIONS:
        if not isinstance(data.get(name), dict):
            problems.add(path, "BAD_POLICY", _("{name} must be a mapping of settings, not {value!r}",
                                               name=name, value=data.get(name)),
                         _('see templates/policy.yaml for its shape'), key=(name,))
    if problems:
        return
    try:
        zone(data.get("timezone"))
    except CsopsError as exc:
        problems.add(path, "BAD_POLICY", exc.message, exc.hint, key=("timezone",))
    if data.get("effective") is not None:
        try:
            if not 2000 <= dt.date.fromisoformat(str(data["effective"])).year <= 2099:
                raise ValueError
        except ValueError:
            problems.add(path, "BAD_POLICY", _("effective must be a date YYYY-MM-DD in 2000–2099 (the first day "
                                               "these rules apply), not {effective!r}",
                                               effective=data['effective']), key=("effective",))
    if data.get("language") not in LANGUAGES:
        problems.add(path, "BAD_POLICY", _("language must be zh or en, not {language!r}",
                                           language=data.get('language')), key=("language",))

    for section, key, kind in _SCALARS:
        _check_scalar(data, section, key, kind, path, problems)
    _check_kinds(data.get("tickets") or {}, path, problems)
    _check_notify(data, path, problems)
    levels = (data.get("tickets") or {}).get("levels")
    hours = (data.get("tickets") or {}).get("complaint_hours")
    if not isinstance(levels, list) or not levels:
        problems.add(path, "BAD_POLICY", _('tickets.levels must be a non-empty list'), key=("tickets", "levels"))
    elif not all(isinstance(lv, str) for lv in levels):
        problems.add(path, "BAD_POLICY", _('tickets.levels must list level names'), key=("tickets", "levels"))
    elif not isinstance(hours, dict) or any(not _is_number(hours.get(lv)) or hours.get(lv) <= 0 for lv in levels):
        problems.add(path, "BAD_POLICY", _('tickets.complaint_hours needs a positive number of hours for every level'),
                     key=("tickets", "complaint_hours"))
    notice = (data.get("leave") or {}).get("notice_hours")
    days = (data.get("leave") or {}).get("notice_days") or {}
    if not isinstance(notice, dict) or not isinstance(days, dict) or any(
            not _is_number(days.get(k)) or days.get(k) < 0 if k in days else
            not _is_number(notice.get(k)) or notice.get(k) < 0 for k in LEAVE_KINDS):
        problems.add(path, "BAD_POLICY", _('leave.notice_hours needs personal, sick and special hours (or '
                                           'leave.notice_days the days for personal and sick leave)'),
                     key=("leave", "notice_hours"))
    holiday = "holiday_notice_days" if (data.get("leave") or {}).get("holiday_notice_days") is not None \
        else "holiday_notice_hours"
    _check_scalar(data, "leave", holiday, "zero or more", path, problems)
    from csops.calendar import CalendarError, parse_intervals

    for name, spec in (data.get("shifts") or {}).items() if isinstance(data.get("shifts"), dict) else ():
        if str(name) == "off":
            problems.add(path, "BAD_POLICY", _("shifts: `off` is not a shift name (it means a day off)"),
                                             key=("shifts",))
            continue
        try:
            if isinstance(spec, dict) and not set(spec) <= {"hours", "label"}:
                raise CalendarError(_("shifts.{name}: write a list of hours, or {{hours: [...], label: ...}}",
                                      name=name))
            parse_intervals(_hours(spec), f"shifts.{name}")
        except CalendarError as exc:
            problems.add(path, "BAD_POLICY", exc.message, exc.hint, key=("shifts", name))

    roles = data.get("roles") or {}
    chain, departments = roles.get("chain"), roles.get("departments") or []
    if not isinstance(chain, list) or not chain or not all(isinstance(r, str) for r in chain):
        problems.add(path, "BAD_POLICY", _("roles.chain must list the reporting chain, lowest first"),
                                         key=("roles", "chain"))
        return
    if not isinstance(departments, list) or not all(isinstance(r, str) for r in departments):
        problems.add(path, "BAD_POLICY", _("roles.departments must list department role names"),
                                         key=("roles", "departments"))
        return
    known = set(chain) | set(departments)
    for role in ((data.get("leave") or {}).get("approver_role"),):
        if role not in chain:
            problems.add(path, "BAD_POLICY", _("leave.approver_role {role!r} is not in roles.chain", role=role),
                         key=("leave", "approver_role"))
    _check_permissions(data.get("permissions") or {}, known, path, problems, ("permissions",))
    _check_catalog((data.get("scores") or {}).get("catalog"), chain, path, problems)


# The policy's single values, each declared with what it must be ("…?": it may be left out); the
# checks that read several values at once are written out in _check.
_SCALARS = (
    ("tickets", "cutoff", "clock"), ("tickets", "same_day_due", "clock"), ("tickets", "next_day_due", "clock"),
    ("leave", "half_day_split", "clock"),
    ("tickets", "callback_hours", "positive"), ("tickets", "callback_retry_hours", "positive"),
    ("tickets", "unreachable_attempts", "positive"), ("tickets", "close_min_satisfaction", "positive"),
    ("returns", "inspect_working_days", "positive"), ("returns", "refund_working_days", "positive"),
    ("returns", "exchange_working_days", "positive"),
    ("leave", "certificate_min_days", "positive"), ("scores", "base", "positive"),
    ("audit", "clock_skew_hours", "positive?"), ("audit", "require_signed", "true or false?"),
)


def _check_scalar(data: dict, section: str, key: str, kind: str, path: str, problems: Problems) -> None:
    value = (data.get(section) or {}).get(key)
    if kind.endswith("?"):
        if value is None:
            return
        kind = kind[:-1]
    if kind == "clock":
        try:
            parse_clock(value, what=f"{section}.{key}")
        except CsopsError as exc:
            problems.add(path, "BAD_POLICY", exc.message, exc.hint, key=(section, key))
    elif kind == "true or false":
        if not isinstance(value, bool):
            problems.add(path, "BAD_POLICY", _("{section}.{key} must be true or false, not {value!r}",
                                               section=section, key=key, value=value), key=(section, key))
    elif not _is_number(value) or value < 0 or (value == 0 and kind == "positive"):
        problems.add(path, "BAD_POLICY", _("{section}.{key} must be a positive number, got {value!r}",
                                           section=section, key=key, value=value), key=(section, key))


def _check_permissions(node, known, path, problems, key):
    if isinstance(node, dict):
        for name, value in node.items():
            _check_permissions(value, known, path, problems, key + (name,))
        return
    if not isinstance(node, list):
        problems.add(path, "BAD_POLICY", _("{names} must be a list of roles", names='.'.join(map(str, key))), key=key)
        return
    for spec in node:
        role = str(spec).rstrip("+")
        if role not in known:
            problems.add(path, "BAD_POLICY", _("{names}: unknown role {spec!r}",
                                               names='.'.join(map(str, key)), spec=spec),
                         _("roles are {names}", names=', '.join(sorted(known))), key=key)


def _check_catalog(catalog, chain, path, problems):
    if not isinstance(catalog, dict) or not catalog:
        problems.add(path, "BAD_POLICY", _('scores.catalog must map codes to rules'), key=("scores", "catalog"))
        return
    for code, rule in catalog.items():
        key = ("scores", "catalog", code)
        if not isinstance(rule, dict):
            problems.add(path, "BAD_CATALOG", _("{code}: expected a mapping like {{points: 1}}", code=code), key=key)
            continue
        points = rule.get("points")
        if not _is_number(points) or points < 0 or not _money_like(points):
            problems.add(path, "BAD_CATALOG", _("{code}: points must be a number ≥ 0 with at most two decimals, got "
                                                "{points!r}",
                                                code=code, points=points), key=key)
        fine = rule.get("fine")
        if fine is not None and not (isinstance(fine, list) and len(fine) == 2 and all(_is_number(x) for x in fine)
                                     and 0 <= fine[0] <= fine[1]):
            problems.add(path, "BAD_CATALOG", _("{code}: fine must be [min, max] with 0 ≤ min ≤ max, got {fine!r}",
                                                code=code, fine=fine), key=key)
        repeat = rule.get("repeat")
        if repeat is not None and not (isinstance(repeat, dict) and isinstance(repeat.get("from"), int)
                                       and repeat.get("from") >= 1 and _is_number(repeat.get("factor"))):
            problems.add(path, "BAD_CATALOG", _("{code}: repeat must be {{from: N, factor: X}}", code=code), key=key)
        also = rule.get("also") or []
        for extra in also if isinstance(also, list) else [also]:
            if not isinstance(extra, dict) or extra.get("role") not in chain or not _is_number(extra.get("points")):
                problems.add(path, "BAD_CATALOG", _("{code}: also entries need a chain role and points", code=code),
                                                  key=key)
        dismissal = rule.get("dismissal_at")
        if dismissal is not None and (not isinstance(dismissal, int) or dismissal < 1):
            problems.add(path, "BAD_CATALOG", _("{code}: dismissal_at must be a whole number ≥ 1", code=code), key=key)


def _money_like(value) -> bool:
    """At most two decimals (points and yuan alike)."""
    try:
        return Decimal(str(value)).as_tuple().exponent >= -2
    except InvalidOperation:
        return False
