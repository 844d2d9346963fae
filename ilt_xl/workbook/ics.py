"""RFC 5545 calendars of the planner's sessions, per instructor or per room (``ilt-xl ics``).

One VEVENT per session the resource holds:

- **all-day** when StartTime or EndTime is blank: ``DTSTART;VALUE=DATE`` the
  first day, ``DTEND;VALUE=DATE`` the day after the last (DTEND is exclusive);
- **timed** otherwise: the first day from StartTime to EndTime, repeated daily
  with ``RRULE:FREQ=DAILY;COUNT=<days>`` for a multi-day session, so each day
  shows its teaching hours (one event spanning the days would block the nights).
  Times are local to where the session runs, with its ``TZID`` (and the VTIMEZONE it
  names): the room's TimeZone column when it has one, else the zone of the session's
  Country when all of that country's zones keep the same time (DE, FR, GB, ZA...).
  A session in a country with several time zones (US, CA, AU, ES...) and no room time
  zone is written *floating* (no zone): a guessed zone would put it hours off;
- ``UID`` is ``<SessionId>@<planner id>.ilt-xl``, the planner id being a short
  hash of the planner's name (or ``--planner-id``), so re-exporting updates the
  events a calendar imported instead of duplicating them;
- ``STATUS`` is TENTATIVE (Planned), CONFIRMED (Confirmed, Delivered) or
  CANCELLED, so a calendar that imported a session drops it once cancelled;
- ``SEQUENCE``, ``DTSTAMP`` and ``LAST-MODIFIED`` change only when the event does: the
  event's content (everything but those three) is hashed into ``X-ILT-XL-CONTENT``;
  re-exported over an earlier calendar (the command's default), an unchanged event keeps
  its SEQUENCE and stamps byte for byte, a changed one gets SEQUENCE + 1 and the export
  time; a first export starts at SEQUENCE 0;
- ``DESCRIPTION`` lists only what is known (no empty "Room:" for an external venue);
- text comes from the workbook and is written as iCalendar TEXT (commas,
  semicolons and line breaks escaped by the icalendar package, other control
  characters removed), so no cell can inject properties or components.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import numpy as np
import pandas as pd
from icalendar import Timezone
from icalendar.parser import escape_char, foldline
from icalendar.timezone.tzid import tzid_from_tzinfo

from ilt_xl.atomic_write import atomic_target, real_target, staging_folder
from ilt_xl.core.sessions import id_key, id_text_key

PRODID = "-//ilt-xl//ILT planner//EN"
CONTENT = "X-ILT-XL-CONTENT"
_STAMPS = ("DTSTAMP", "LAST-MODIFIED", "SEQUENCE", CONTENT)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_STATUS = {"planned": "TENTATIVE", "confirmed": "CONFIRMED", "delivered": "CONFIRMED", "cancelled": "CANCELLED"}


@dataclass(frozen=True)
class Resource:
    """A calendar's owner: ``kind`` is ``instructor`` or ``room``."""

    kind: str
    id: str
    name: str

    @property
    def column(self) -> str:
        return "InstructorId" if self.kind == "instructor" else "RoomId"

    def file_name(self) -> str:
        """``instructor-ID.ics``, ID spelled by :func:`file_safe`."""
        return f"{self.kind}-{file_safe(self.id) or 'blank'}.ics"


_NAME_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")
_MAX_ENCODED = 200      # bytes: file names may hold 255, the kind and suffix need the rest


def file_safe(text: str) -> str:
    """``text`` for a file name: every character but ASCII letters, digits, ``_``, ``-`` and ``.``
    percent-encoded as UTF-8 (``I/01`` -> ``I%2F01``, ``I 01`` -> ``I%2001``), so distinct ids give
    distinct names on every file system and ``urllib.parse.unquote`` gives the id back. A text whose
    spelling is longer than a file name allows is cut and ended with ``~`` and a hash of the whole."""
    encoded = "".join(ch if ch in _NAME_SAFE else "".join(f"%{b:02X}" for b in ch.encode("utf-8")) for ch in text)
    if len(encoded) <= _MAX_ENCODED:
        return encoded
    cut = encoded[: _MAX_ENCODED - 17]
    cut = cut[: cut.rfind("%")] if "%" in cut[-2:] else cut      # never half an escape
    return f"{cut}~{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}"


def planner_id(name: str) -> str:
    """A short stable id of a planner from its name (case-insensitive): 12 hex digits of SHA-256."""
    return hashlib.sha256(name.strip().casefold().encode("utf-8")).hexdigest()[:12]


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return _CONTROL.sub(" ", str(value).replace("\r\n", "\n").replace("\r", "\n")).strip()


def resources(tables: dict[str, pd.DataFrame], kind: str) -> list[Resource]:
    """Every instructor or room of the repository, in table order."""
    table, key = ("Instructors", "InstructorId") if kind == "instructor" else ("Rooms", "RoomId")
    frame = tables[table]
    found: dict[str, Resource] = {}
    for i, n in zip(frame[key], frame["Name"]):
        if _text(i):     # ids differing in case are one id in Excel (ilt-xl check reports them): first kept
            found.setdefault(id_text_key(_text(i)), Resource(kind, _text(i), _text(n)))
    return list(found.values())


def find_resource(tables: dict[str, pd.DataFrame], kind: str, resource_id: str) -> Resource | None:
    """The instructor or room ``resource_id`` (case-insensitive, as Excel compares ids), or None."""
    wanted = id_text_key(resource_id.strip())
    return next((r for r in resources(tables, kind) if id_text_key(r.id) == wanted), None)


def _time(value: object) -> dt.time | None:
    if value is None or pd.isna(value):
        return None
    if isinstance(value, dt.time):
        return value
    seconds = int(round(pd.Timedelta(value).total_seconds()))
    if not 0 <= seconds < 86400:
        return None
    return dt.time(seconds // 3600, seconds % 3600 // 60, seconds % 60)


@functools.cache
def _zones_by_country() -> dict[str, tuple[str, ...]]:
    """Country code -> its IANA zones, from the tz database's ``zone.tab`` (shipped by the
    ``tzdata`` package, which pandas installs, or by the system)."""
    from importlib import resources as ir

    try:
        text = ir.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        text = Path("/usr/share/zoneinfo/zone.tab").read_text(encoding="utf-8")
    zones: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, _, zone, *_ = line.split("\t")
            zones.setdefault(code.upper(), []).append(zone)
    return {code: tuple(z) for code, z in zones.items()}


@functools.cache
def country_zone(country: str) -> ZoneInfo | None:
    """The time zone of ``country`` when all its zones keep the same time (winter and summer
    offsets alike, as Berlin and Busingen); None for an unknown country or one with several."""
    zones = _zones_by_country().get(country.strip().upper(), ())
    offsets = {(ZoneInfo(z).utcoffset(dt.datetime(2025, 1, 15)), ZoneInfo(z).utcoffset(dt.datetime(2025, 7, 15)))
               for z in zones}
    return ZoneInfo(zones[0]) if len(offsets) == 1 else None


@functools.cache
def named_zone(name: str) -> ZoneInfo | None:
    """The IANA zone ``name`` (``America/Chicago``), or None when it is blank or unknown."""
    name = name.strip()
    if not name or name not in available_timezones():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def session_zone(room_zone: str, country: str) -> ZoneInfo | None:
    """Where a session's times are local: its room's zone, else its country's single zone."""
    return named_zone(room_zone) or country_zone(country)


@dataclass(frozen=True)
class Stamps:
    """What a re-export keeps of an earlier event: its content digest and its SEQUENCE,
    DTSTAMP and LAST-MODIFIED lines as written (unfolded)."""

    content: str
    lines: dict[str, str]

    def sequence(self) -> int:
        value = self.lines.get("SEQUENCE", "").partition(":")[2].strip()
        return int(value) if value.isdigit() else -1


_UNFOLD = re.compile(r"\r?\n[ \t]")
_NAME_END = re.compile("[;:]")


def stamps_in(ical: bytes) -> dict[str, Stamps]:
    """The stamps of every event of an iCalendar text, by its UID as written. A line reader, not a
    full parser: ilt-xl reads back only what it wrote, and a calendar it cannot read gives none."""
    found: dict[str, Stamps] = {}
    lines: dict[str, str] | None = None
    for line in _UNFOLD.sub("", ical.decode("utf-8", "replace")).splitlines():
        if line == "BEGIN:VEVENT":
            lines = {}
        elif line == "END:VEVENT" and lines is not None:
            if "UID" in lines:
                found[lines["UID"].partition(":")[2]] = Stamps(lines.get(CONTENT, "").partition(":")[2], lines)
            lines = None
        elif lines is not None:
            name = _NAME_END.split(line, maxsplit=1)[0].upper()
            if name in ("UID", *_STAMPS):
                lines[name] = line
    return found


def previous_events(path: Path) -> dict[str, Stamps]:
    """The stamps of an earlier export at ``path`` by UID; none when there is none or it cannot be read
    (a FIFO or device there is never opened: reading it would block or never end)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return {}
        return stamps_in(path.read_bytes())
    except OSError:
        return {}


def _fold(line: str) -> str:
    """``line`` folded at 75 octets and ended with CRLF (RFC 5545 3.1), as the icalendar package folds."""
    return (line if len(line) < 75 and line.isascii() else foldline(line)) + "\r\n"


def _stamped(event: tuple[str, str, str, str, str], digest: str, before: Stamps | None, now: str) -> str:
    """An event's text with SEQUENCE, DTSTAMP, LAST-MODIFIED and the content digest: the earlier
    export's stamps when its content was the same, else the export time. ``event`` is its folded
    lines in the icalendar package's order (SUMMARY DTSTART DTEND, UID, RRULE, DESCRIPTION,
    LOCATION STATUS), the stamps go where that package puts them."""
    if before is not None and before.content == digest:
        dtstamp, modified, sequence = (_fold(before.lines[n]) if n in before.lines else "" for n in _STAMPS[:3])
    else:
        sequence = f"SEQUENCE:{before.sequence() + 1 if before is not None else 0}\r\n"
        dtstamp, modified = f"DTSTAMP:{now}\r\n", f"LAST-MODIFIED:{now}\r\n"
    head, uid, rrule, description, tail = event
    return (f"BEGIN:VEVENT\r\n{head}{dtstamp}{uid}{sequence}{rrule}{description}{modified}{tail}"
            f"{_fold(f'{CONTENT}:{digest}')}END:VEVENT\r\n")


@dataclass
class IcsCalendar:
    """One resource's calendar as RFC 5545 text: its name, its events (each a complete, folded
    VEVENT) and the time zones they name (each written once, as a VTIMEZONE)."""

    name: str
    events: list[str]
    tzids: list[str]

    def to_ical(self) -> bytes:
        head = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + _fold(f"PRODID:{escape_char(PRODID)}") + "CALSCALE:GREGORIAN\r\n"
                + _fold(f"X-WR-CALNAME:{escape_char(self.name)}"))
        zones = b"".join(_vtimezone(tzid) for tzid in self.tzids)
        return (head + "".join(self.events)).encode("utf-8") + zones + b"END:VCALENDAR\r\n"


def _digits(days: np.ndarray) -> np.ndarray:
    """datetime64[D] as iCalendar DATE text (``20260406``)."""
    return np.char.replace(np.datetime_as_string(days, unit="D"), "-", "")


def _seconds(column: pd.Series) -> np.ndarray:
    """A time column as whole seconds since midnight (NaN where blank or not a time of day)."""
    if pd.api.types.is_timedelta64_dtype(column):
        seconds = np.round(column.dt.total_seconds().to_numpy(float, na_value=np.nan))
    else:       # times typed as datetime.time (a frame built by hand)
        seconds = np.array([np.nan if t is None else t.hour * 3600 + t.minute * 60 + t.second
                            for t in column.map(_time)], dtype=float)
    return np.where((seconds >= 0) & (seconds < 86400), seconds, np.nan)


def _clock(seconds: np.ndarray) -> np.ndarray:
    """Seconds since midnight as iCalendar time text (``133000``)."""
    whole = np.nan_to_num(seconds).astype(np.int64)
    return np.char.zfill((whole // 3600 * 10000 + whole % 3600 // 60 * 100 + whole % 60).astype(str), 6)


@functools.cache
def _tzid(zone: ZoneInfo | None) -> str | None:
    """The TZID the icalendar package gives ``zone`` (``UTC`` for UTC and its aliases)."""
    return tzid_from_tzinfo(zone) if zone is not None else None


def _event_bodies(tables: dict[str, pd.DataFrame], titles: dict[str, str], instructors: dict[str, str],
                  rooms: dict[str, str], room_zones: dict[str, str]) -> tuple[list, list, list]:
    """Each session's SessionId as a UID begins, its VEVENT's properties but UID and the stamps (None
    for a session without valid dates), and the TZID it names. Dates, times and zones are worked out column by column; the text
    is put together once per session, since an event is the same in its instructor's and its room's
    calendar."""
    s = tables["Sessions"]
    if s.empty:
        return [], [], []
    text = {c: s[c].map(_text).to_numpy(object) if c in s else np.full(len(s), "", object)
            for c in ("SessionId", "CourseId", "Status", "Country", "Site", "RoomId", "InstructorId")}
    first = pd.to_datetime(s["StartDate"], errors="coerce").to_numpy("datetime64[D]")
    last = pd.to_datetime(s["EndDate"], errors="coerce").to_numpy("datetime64[D]")
    valid = ~np.isnat(first) & ~np.isnat(last) & (last >= first)
    first, last = np.where(valid, first, np.datetime64("2000-01-01")), np.where(valid, last, np.datetime64("2000-01-01"))
    begins = _seconds(s["StartTime"]) if "StartTime" in s else np.full(len(s), np.nan)
    ends = _seconds(s["EndTime"]) if "EndTime" in s else np.full(len(s), np.nan)
    timed = ~np.isnan(begins) & ~np.isnan(ends) & (ends > begins)
    days = (last - first).astype(np.int64) + 1
    start_day, after_last = _digits(first), _digits(last + np.timedelta64(1, "D"))
    begin_clock, end_clock = _clock(begins), _clock(ends)
    uids: list[str | None] = []
    bodies: list[tuple[str, str, str, str] | None] = []
    tzids: list[str | None] = []
    for i in range(len(s)):
        if not valid[i]:
            uids.append(None)
            bodies.append(None)
            tzids.append(None)
            continue
        session_id, course, room_key = text["SessionId"][i], text["CourseId"][i], id_text_key(text["RoomId"][i])
        title = titles.get(id_text_key(course), "")
        uids.append(escape_char(session_id))
        head = _fold(f"SUMMARY:{escape_char(f'{title or course} ({session_id})')}")
        tzid, rrule = None, ""
        if timed[i]:
            tzid = _tzid(session_zone(room_zones.get(room_key, ""), text["Country"][i]))
            utc = "Z" if tzid == "UTC" else ""
            zone = f";TZID={tzid}" if tzid and not utc else ""
            head += (_fold(f"DTSTART{zone}:{start_day[i]}T{begin_clock[i]}{utc}")
                     + _fold(f"DTEND{zone}:{start_day[i]}T{end_clock[i]}{utc}"))
            if days[i] > 1:
                rrule = f"RRULE:FREQ=DAILY;COUNT={days[i]}\r\n"
        else:
            head += f"DTSTART;VALUE=DATE:{start_day[i]}\r\nDTEND;VALUE=DATE:{after_last[i]}\r\n"
        room = rooms.get(room_key, text["RoomId"][i])
        place = ", ".join(p for p in (room, text["Site"][i], text["Country"][i]) if p)
        tail = (_fold(f"LOCATION:{escape_char(place)}") if place else "") + \
            f"STATUS:{_STATUS.get(text['Status'][i].casefold(), 'TENTATIVE')}\r\n"
        instructor = instructors.get(id_text_key(text["InstructorId"][i]), text["InstructorId"][i])
        details = [("Session", session_id), ("Course", f"{course} {title}".strip()), ("Status", text["Status"][i]),
                   ("Instructor", instructor), ("Room", room), ("Site", "" if room else text["Site"][i])]
        description = _fold("DESCRIPTION:" + escape_char("\n".join(f"{k}: {v}" for k, v in details if v)))
        bodies.append((head, rrule, description, tail))
        tzids.append(tzid if tzid and tzid != "UTC" else None)
    return uids, bodies, tzids


@dataclass
class PlannerIndex:
    """What every calendar of one planner shares, built once (:meth:`of`): each resource's sessions
    by id key, and each session's event text. ``ics --all`` makes a calendar per instructor and
    room: finding each one's sessions by scanning all of them made 1,000 calendars of a
    20,000-session planner quadratic, and building each event through the icalendar package, once
    per calendar it is in, cost a millisecond an event. With the index the export is linear and
    each event is text put together once."""

    rows_of: dict[tuple[str, str], np.ndarray]
    uids: list[str | None]
    bodies: list[tuple[str, str, str, str] | None]
    tzids: list[str | None]

    @classmethod
    def of(cls, tables: dict[str, pd.DataFrame]) -> "PlannerIndex":
        sessions = tables["Sessions"]
        rows_of = {}
        for column in ("InstructorId", "RoomId"):
            keys = id_key(sessions[column].map(_text)).to_numpy(object)
            for key, rows in pd.Series(np.arange(len(keys))).groupby(keys, sort=False):
                rows_of[(column, key)] = rows.to_numpy()
        courses = tables["Courses"]
        titles: dict[str, str] = {}
        for course, title in zip(id_key(courses["CourseId"].map(_text)), courses["Title"]):
            titles.setdefault(course, _text(title))            # the first row of an id wins, as MATCH
        room_table = tables["Rooms"]
        room_zones = ({id_text_key(_text(i)): _text(z) for i, z in zip(room_table["RoomId"], room_table["TimeZone"])}
                      if "TimeZone" in room_table else {})
        uids, bodies, tzids = _event_bodies(tables, titles,
                                      {id_text_key(r.id): r.name for r in resources(tables, "instructor")},
                                      {id_text_key(r.id): r.name for r in resources(tables, "room")}, room_zones)
        return cls(rows_of, uids, bodies, tzids)

    def rows(self, resource: Resource) -> list[int]:
        """The rows (positions in Sessions) of ``resource``'s sessions, in table order."""
        return self.rows_of.get((resource.column, id_text_key(resource.id)), np.zeros(0, dtype=np.int64)).tolist()


def calendar_for(
    tables: dict[str, pd.DataFrame],
    resource: Resource,
    planner: str,
    now: dt.datetime | None = None,
    previous: dict[str, Stamps] | None = None,
    index: PlannerIndex | None = None,
) -> IcsCalendar:
    """The calendar of ``resource``: one event per session holding it (see the module docstring).

    ``planner`` is the planner's id (:func:`planner_id`); ``now`` the export time
    (UTC; defaults to the current time); ``previous`` the events of the earlier export
    (:func:`previous_events`), whose SEQUENCE and stamps an unchanged event keeps; ``index`` the
    planner's :class:`PlannerIndex`, to build once for many calendars.
    Sessions without valid dates are left out.
    """
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    previous = previous or {}
    index = index or PlannerIndex.of(tables)
    planner_text = escape_char(planner)
    events, tzids = [], set()
    for row in index.rows(resource):
        body = index.bodies[row]
        if body is None:
            continue
        uid = f"{index.uids[row]}@{planner_text}.ilt-xl"
        head, rrule, description, tail = body
        event = (head, _fold(f"UID:{uid}"), rrule, description, tail)
        digest = hashlib.sha256("".join(("BEGIN:VEVENT\r\n", *event, "END:VEVENT\r\n")).encode("utf-8")).hexdigest()[:16]
        events.append(_stamped(event, digest, previous.get(uid), stamp))
        if index.tzids[row]:
            tzids.add(index.tzids[row])
    return IcsCalendar(f"ILT sessions: {resource.name or resource.id} ({resource.id})", events, sorted(tzids))


@functools.cache
def _vtimezone(tzid: str) -> bytes:
    """The VTIMEZONE of ``tzid`` (none for a zone the icalendar package does not know). Building one
    walks decades of transitions (25 ms): a thousand calendars in one zone share it instead."""
    try:
        return Timezone.from_tzid(tzid).to_ical()
    except ValueError:
        return b""


def write_calendar(calendar: IcsCalendar, path: Path) -> Path:
    """Write ``calendar`` to ``path`` atomically."""
    with atomic_target(path) as temp:
        temp.write_bytes(calendar.to_ical())
    return path


def write_calendars(calendars: Iterable[tuple[IcsCalendar, str]], folder: Path) -> list[Path]:
    """Write every (calendar, file name) into ``folder``, all or nothing: each is written into a
    hidden staging folder inside ``folder`` first, and only when all are complete are they moved
    into place (a full disk or a stop leaves the calendars there were before, and no partial set).
    Returns the paths written; raises ``OSError`` when the folder cannot take them (a folder this made
    is then removed again: nothing is left behind)."""
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return _staged_then_moved(calendars, folder)
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()      # only when empty: calendars moved before a failure stay
        raise


def _staged_then_moved(calendars: Iterable[tuple[IcsCalendar, str]], folder: Path) -> list[Path]:
    with staging_folder(folder / "calendars") as staging:
        staged = []
        for calendar, name in calendars:
            path = Path(staging) / name
            path.write_bytes(calendar.to_ical())
            staged.append(path)
        names = [p.name for p in staged]
        if len(set(names)) != len(names):
            raise ValueError("two calendars would share one file name")   # file_safe makes this impossible
        # every target checked before any is replaced: a FIFO or folder named like a calendar is refused
        # (NotRegularFile), a link is written through, and nothing is moved when one is refused
        targets = [real_target(folder / path.name) for path in staged]
        moved = []
        for path, target in zip(staged, targets):
            os.replace(path, target)
            moved.append(folder / path.name)
    return moved
