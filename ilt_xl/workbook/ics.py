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

import datetime as dt
import functools
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import numpy as np
import pandas as pd
from icalendar import Calendar, Event, Timezone

from ilt_xl.atomic_write import atomic_target
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


def previous_events(path: Path) -> dict[str, Event]:
    """The events of an earlier export at ``path`` by UID; none when there is none or it cannot be read."""
    try:
        parsed = Calendar.from_ical(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return {str(e.get("UID")): e for e in parsed.walk("VEVENT") if e.get("UID")}


def _stamp(event: Event, before: Event | None, now: dt.datetime) -> None:
    """Add SEQUENCE, DTSTAMP and LAST-MODIFIED: kept from ``before`` when the content is the same."""
    digest = hashlib.sha256(event.to_ical()).hexdigest()[:16]
    if before is not None and str(before.get(CONTENT, "")) == digest:
        for name in _STAMPS[:3]:
            if name in before:
                event[name] = before[name]
        event.add(CONTENT.lower(), digest)
        return
    sequence = int(before.get("SEQUENCE", -1)) + 1 if before is not None else 0
    event.add("dtstamp", now)
    event.add("last-modified", now)
    event.add("sequence", sequence)
    event.add(CONTENT.lower(), digest)


@dataclass
class PlannerIndex:
    """What every calendar of one planner looks up, built once (:meth:`of`): each resource's sessions
    by id key, and the names of courses, instructors and rooms. ``ics --all`` makes a calendar per
    instructor and room; finding each one's sessions by scanning all of them made 1,000 calendars of a
    20,000-session planner take minutes (quadratic), with the index it is linear."""

    sessions: pd.DataFrame
    rows_of: dict[tuple[str, str], np.ndarray]
    titles: dict[str, str]
    instructors: dict[str, str]
    rooms: dict[str, str]
    room_zones: dict[str, str]

    @classmethod
    def of(cls, tables: dict[str, pd.DataFrame]) -> "PlannerIndex":
        sessions = tables["Sessions"]
        rows_of = {}
        for column in ("InstructorId", "RoomId"):
            keys = id_key(sessions[column].map(_text)).to_numpy(object)
            for key, rows in pd.Series(np.arange(len(keys))).groupby(keys, sort=False):
                rows_of[(column, key)] = rows.to_numpy()
        courses = tables["Courses"]
        titles = {}
        for course, title in zip(id_key(courses["CourseId"].map(_text)), courses["Title"]):
            titles.setdefault(course, _text(title))            # the first row of an id wins, as MATCH
        room_table = tables["Rooms"]
        return cls(sessions, rows_of, titles,
                   {id_text_key(r.id): r.name for r in resources(tables, "instructor")},
                   {id_text_key(r.id): r.name for r in resources(tables, "room")},
                   ({id_text_key(_text(i)): _text(z) for i, z in zip(room_table["RoomId"], room_table["TimeZone"])}
                    if "TimeZone" in room_table else {}))

    def sessions_of(self, resource: Resource) -> pd.DataFrame:
        rows = self.rows_of.get((resource.column, id_text_key(resource.id)), np.zeros(0, dtype=np.int64))
        return self.sessions.iloc[rows]


def calendar_for(
    tables: dict[str, pd.DataFrame],
    resource: Resource,
    planner: str,
    now: dt.datetime | None = None,
    previous: dict[str, Event] | None = None,
    index: PlannerIndex | None = None,
) -> Calendar:
    """The calendar of ``resource``: one event per session holding it (see the module docstring).

    ``planner`` is the planner's id (:func:`planner_id`); ``now`` the export time
    (UTC; defaults to the current time); ``previous`` the events of the earlier export
    (:func:`previous_events`), whose SEQUENCE and stamps an unchanged event keeps; ``index`` the
    planner's :class:`PlannerIndex`, to build once for many calendars.
    Sessions without valid dates are left out.
    """
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(microsecond=0)
    previous = previous or {}
    index = index or PlannerIndex.of(tables)
    mine = index.sessions_of(resource)
    instructors, rooms, room_zones = index.instructors, index.rooms, index.room_zones

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"ILT sessions: {resource.name or resource.id} ({resource.id})")
    for _, s in mine.iterrows():  # one event per session; a calendar holds few
        start, end = pd.to_datetime(s["StartDate"], errors="coerce"), pd.to_datetime(s["EndDate"], errors="coerce")
        if pd.isna(start) or pd.isna(end) or end < start:
            continue
        start, end = start.date(), end.date()
        session_id = _text(s["SessionId"])
        title = index.titles.get(id_text_key(_text(s["CourseId"])), "")
        room_key = id_text_key(_text(s["RoomId"]))
        uid = f"{session_id}@{planner}.ilt-xl"
        event = Event()
        event.add("uid", uid)
        event.add("summary", f"{title or _text(s['CourseId'])} ({session_id})")
        begins, ends = _time(s.get("StartTime")), _time(s.get("EndTime"))
        days = (end - start).days + 1
        if begins is not None and ends is not None and ends > begins:
            zone = session_zone(room_zones.get(room_key, ""), _text(s.get("Country")))
            event.add("dtstart", dt.datetime.combine(start, begins, tzinfo=zone))
            event.add("dtend", dt.datetime.combine(start, ends, tzinfo=zone))
            if days > 1:
                event.add("rrule", {"freq": "daily", "count": days})
        else:
            event.add("dtstart", start)
            event.add("dtend", end + dt.timedelta(days=1))
        event.add("status", _STATUS.get(_text(s["Status"]).casefold(), "TENTATIVE"))
        room = rooms.get(room_key, _text(s["RoomId"]))
        place = ", ".join(p for p in (room, _text(s["Site"]), _text(s["Country"])) if p)
        if place:
            event.add("location", place)
        instructor = instructors.get(id_text_key(_text(s["InstructorId"])), _text(s["InstructorId"]))
        details = [("Session", session_id), ("Course", f"{_text(s['CourseId'])} {title}".strip()),
                   ("Status", _text(s["Status"])), ("Instructor", instructor),
                   ("Room", room), ("Site", "" if room else _text(s["Site"]))]
        event.add("description", "\n".join(f"{label}: {value}" for label, value in details if value))
        _stamp(event, previous.get(uid), now)
        cal.add_component(event)
    for tzid in sorted(cal.get_missing_tzids()):   # what add_missing_timezones() does, each zone built once
        timezone = _vtimezone(tzid)
        if timezone is not None:
            cal.add_component(timezone)
    return cal


@functools.lru_cache(maxsize=None)
def _vtimezone(tzid: str) -> Timezone | None:
    """The VTIMEZONE of ``tzid`` (None for a zone icalendar does not know). Building one walks
    decades of transitions (25 ms): a thousand calendars in one zone share it instead."""
    try:
        return Timezone.from_tzid(tzid)
    except ValueError:
        return None


def write_calendar(calendar: Calendar, path: Path) -> Path:
    """Write ``calendar`` to ``path`` atomically."""
    with atomic_target(path) as temp:
        temp.write_bytes(calendar.to_ical())
    return path


def write_calendars(calendars: Iterable[tuple[Calendar, str]], folder: Path) -> list[Path]:
    """Write every (calendar, file name) into ``folder``, all or nothing: each is written into a
    hidden staging folder inside ``folder`` first, and only when all are complete are they moved
    into place (a full disk or a stop leaves the calendars there were before, and no partial set).
    Returns the paths written; raises ``OSError`` when the folder cannot take them."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".ics-", suffix=".tmp", dir=folder) as staging:
        staged = []
        for calendar, name in calendars:
            path = Path(staging) / name
            path.write_bytes(calendar.to_ical())
            staged.append(path)
        names = [p.name for p in staged]
        if len(set(names)) != len(names):
            raise ValueError("two calendars would share one file name")   # file_safe makes this impossible
        moved = []
        for path in staged:
            os.replace(path, folder / path.name)
            moved.append(folder / path.name)
    return moved
