"""RFC 5545 calendars of the planner's sessions, per instructor or per room (``ilt-xl ics``).

One VEVENT per session the resource holds:

- **all-day** when StartTime or EndTime is blank: ``DTSTART;VALUE=DATE`` the
  first day, ``DTEND;VALUE=DATE`` the day after the last (DTEND is exclusive);
- **timed** otherwise: the first day from StartTime to EndTime, repeated daily
  with ``RRULE:FREQ=DAILY;COUNT=<days>`` for a multi-day session, so each day
  shows its teaching hours (one event spanning the days would block the nights).
  Times are *floating* (no time zone): they mean the local time wherever the
  session runs, as the planner states them.
- ``UID`` is ``<SessionId>@<planner id>.ilt-xl``, the planner id being a short
  hash of the planner's name (or ``--planner-id``), so re-exporting updates the
  events a calendar imported instead of duplicating them;
- ``STATUS`` is TENTATIVE (Planned), CONFIRMED (Confirmed, Delivered) or
  CANCELLED, so a calendar that imported a session drops it once cancelled;
- ``DTSTAMP`` and ``LAST-MODIFIED`` are the export time, and ``SEQUENCE`` the
  minutes from 2020-01-01 to it: every export is a newer revision, which is what
  makes clients accept moved or cancelled sessions (unchanged ones are simply
  rewritten identically);
- text comes from the workbook and is written as iCalendar TEXT (commas,
  semicolons and line breaks escaped by the icalendar package, other control
  characters removed), so no cell can inject properties or components.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from icalendar import Calendar, Event

from ilt_xl.atomic_write import atomic_target
from ilt_xl.core.sessions import id_key, id_text_key

PRODID = "-//ilt-xl//ILT planner//EN"
_SEQUENCE_EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
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


def calendar_for(
    tables: dict[str, pd.DataFrame],
    resource: Resource,
    planner: str,
    now: dt.datetime | None = None,
) -> Calendar:
    """The calendar of ``resource``: one event per session holding it (see the module docstring).

    ``planner`` is the planner's id (:func:`planner_id`); ``now`` the export time
    (UTC; defaults to the current time). Sessions without valid dates are left out.
    """
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(microsecond=0)
    sequence = int((now - _SEQUENCE_EPOCH).total_seconds() // 60)
    sessions = tables["Sessions"]
    mine = sessions[(id_key(sessions[resource.column].map(_text)) == id_text_key(resource.id)).to_numpy()]
    courses = tables["Courses"].assign(_key=id_key(tables["Courses"]["CourseId"])).drop_duplicates("_key").set_index("_key")
    instructors = {id_text_key(r.id): r.name for r in resources(tables, "instructor")}
    rooms = {id_text_key(r.id): r.name for r in resources(tables, "room")}

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
        course_key = id_text_key(_text(s["CourseId"]))
        title = _text(courses["Title"].get(course_key)) if course_key in courses.index else ""
        event = Event()
        event.add("uid", f"{session_id}@{planner}.ilt-xl")
        event.add("dtstamp", now)
        event.add("last-modified", now)
        event.add("sequence", sequence)
        event.add("summary", f"{title or _text(s['CourseId'])} ({session_id})")
        begins, ends = _time(s.get("StartTime")), _time(s.get("EndTime"))
        days = (end - start).days + 1
        if begins is not None and ends is not None and ends > begins:
            event.add("dtstart", dt.datetime.combine(start, begins))
            event.add("dtend", dt.datetime.combine(start, ends))
            if days > 1:
                event.add("rrule", {"freq": "daily", "count": days})
        else:
            event.add("dtstart", start)
            event.add("dtend", end + dt.timedelta(days=1))
        event.add("status", _STATUS.get(_text(s["Status"]).casefold(), "TENTATIVE"))
        room = rooms.get(id_text_key(_text(s["RoomId"])), _text(s["RoomId"]))
        place = ", ".join(p for p in (room, _text(s["Site"]), _text(s["Country"])) if p)
        if place:
            event.add("location", place)
        details = [
            f"Session: {session_id}", f"Course: {_text(s['CourseId'])} {title}".strip(),
            f"Status: {_text(s['Status'])}",
            f"Instructor: {instructors.get(id_text_key(_text(s['InstructorId'])), _text(s['InstructorId']))}",
            f"Room: {room}",
        ]
        event.add("description", "\n".join(details))
        cal.add_component(event)
    return cal


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
