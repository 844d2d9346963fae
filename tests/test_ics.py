"""ilt-xl ics: RFC 5545 calendars with stable UIDs, all-day and timed events, cancellations, safe text."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from ilt_xl.cli.app import app
from ilt_xl.workbook.ics import Resource, calendar_for, planner_id, stamps_in

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
LATER = NOW + dt.timedelta(days=2)


def _tables() -> dict[str, pd.DataFrame]:
    sessions = pd.DataFrame({
        "SessionId": ["S1", "S2", "S3", "S4", "S5"],
        "CourseId": ["C1", "C1", "C2", "C1", "C1"],
        "Status": ["Planned", "Confirmed", "Cancelled", "Delivered", "Planned"],
        "StartDate": pd.to_datetime(["2026-04-06", "2026-04-13", "2026-04-20", "2026-01-05", "2026-05-04"]),
        "EndDate": pd.to_datetime(["2026-04-08", "2026-04-15", "2026-04-20", "2026-01-05", "2026-05-04"]),
        "StartTime": pd.to_timedelta([None, "09:00:00", None, "13:30:00", None]),
        "EndTime": pd.to_timedelta([None, "17:00:00", None, "17:00:00", None]),
        "Country": ["DE", "FR", "DE", "DE", "DE"],
        "Site": ["Berlin", "Paris\r\nBEGIN:VEVENT\r\nUID:evil", "Berlin", "Berlin", "Berlin; ATTENDEE:x"],
        "RoomId": ["R1", "R2", "R1", "R1", "R1"],
        "InstructorId": ["I1", "i1", "I1", "I1", "I2"],
    })
    return {
        "Sessions": sessions,
        "Courses": pd.DataFrame({"CourseId": ["C1", "C2"], "Title": ["Leading, Teams", "Safety\x07 First"]}),
        "Instructors": pd.DataFrame({"InstructorId": ["I1", "I2"], "Name": ["Ana Adler", "Ben Brown"]}),
        "Rooms": pd.DataFrame({"RoomId": ["R1", "R2"], "Name": ["Room 1", "Salle 2"]}),
    }


def _events(calendar) -> dict[str, object]:
    parsed = Calendar.from_ical(calendar.to_ical())
    return {str(e["UID"]): e for e in parsed.walk("VEVENT")}


def test_one_event_per_session_of_the_instructor_with_stable_uids():
    pid = planner_id("My Planner")
    events = _events(calendar_for(_tables(), Resource("instructor", "I1", "Ana Adler"), pid, NOW))
    assert sorted(events) == [f"S{i}@{pid}.ilt-xl" for i in (1, 2, 3, 4)], "ids match case-insensitively"
    again = _events(calendar_for(_tables(), Resource("instructor", "I1", "Ana Adler"), pid, LATER))
    assert sorted(again) == sorted(events), "a re-export keeps the UIDs"
    assert planner_id("my planner ") == pid and planner_id("Other") != pid


def test_sequence_and_stamps_change_only_when_the_event_does():
    pid, ana = planner_id("p"), Resource("instructor", "I1", "Ana Adler")
    first = calendar_for(_tables(), ana, pid, NOW)
    assert {int(e["SEQUENCE"]) for e in _events(first).values()} == {0}
    # re-exported two days later over the first export, nothing changed: byte for byte the same
    same = calendar_for(_tables(), ana, pid, LATER, previous=stamps_in(first.to_ical()))
    assert same.to_ical() == first.to_ical()
    # S2 moves by a week: only its SEQUENCE goes up (and its stamps are the export time)
    moved = _tables()
    moved["Sessions"].loc[1, ["StartDate", "EndDate"]] += pd.Timedelta(days=7)
    after = _events(calendar_for(moved, ana, pid, LATER, previous=stamps_in(same.to_ical())))
    before = _events(same)
    s2 = f"S2@{pid}.ilt-xl"
    assert int(after[s2]["SEQUENCE"]) == 1 and after[s2]["DTSTAMP"].dt == LATER
    assert all(int(after[u]["SEQUENCE"]) == 0 and after[u]["DTSTAMP"].dt == NOW for u in before if u != s2)


def test_times_carry_the_time_zone_of_the_room_or_the_country():
    pid = planner_id("p")
    tables = _tables()
    tables["Sessions"].loc[3, "Country"] = "US"                   # S4: a US session in room R1...
    tables["Rooms"]["TimeZone"] = ["America/Chicago", ""]          # ...which is in Chicago
    tables["Sessions"].loc[1, "Country"] = "US"                   # S2: US, in a room without a zone
    raw = calendar_for(tables, Resource("instructor", "I1", ""), pid, NOW).to_ical().decode()
    events = _events(calendar_for(tables, Resource("instructor", "I1", ""), pid, NOW))
    s4 = events[f"S4@{pid}.ilt-xl"]
    assert str(s4["DTSTART"].dt.tzinfo) == "America/Chicago" and "DTSTART;TZID=America/Chicago:20260105T133000" in raw
    assert "BEGIN:VTIMEZONE" in raw and "TZID:America/Chicago" in raw
    assert events[f"S2@{pid}.ilt-xl"]["DTSTART"].dt.tzinfo is None, "several US zones and no room zone: floating"
    de = _events(calendar_for(_tables(), Resource("instructor", "I1", ""), pid, NOW))[f"S4@{pid}.ilt-xl"]
    assert str(de["DTSTART"].dt.tzinfo) == "Europe/Berlin", "Germany keeps one time"


def test_description_lists_only_what_is_known():
    pid = planner_id("p")
    tables = _tables()
    tables["Sessions"].loc[0, "RoomId"] = ""                      # S1 at an external venue
    s1 = _events(calendar_for(tables, Resource("instructor", "I1", ""), pid, NOW))[f"S1@{pid}.ilt-xl"]
    lines = str(s1["DESCRIPTION"]).split("\n")
    assert "Site: Berlin" in lines and not any(line.startswith("Room:") for line in lines)
    assert all(line.split(": ", 1)[1] for line in lines)


def test_all_day_event_has_an_exclusive_end_date():
    pid = planner_id("p")
    s1 = _events(calendar_for(_tables(), Resource("instructor", "I1", ""), pid, NOW))[f"S1@{pid}.ilt-xl"]
    assert s1["DTSTART"].dt == dt.date(2026, 4, 6) and not isinstance(s1["DTSTART"].dt, dt.datetime)
    assert s1["DTEND"].dt == dt.date(2026, 4, 9)
    assert "RRULE" not in s1
    assert str(s1["STATUS"]) == "TENTATIVE"


def test_timed_multi_day_session_repeats_daily():
    pid = planner_id("p")
    events = _events(calendar_for(_tables(), Resource("instructor", "I1", ""), pid, NOW))
    s2 = events[f"S2@{pid}.ilt-xl"]
    paris = ZoneInfo("Europe/Paris")
    assert s2["DTSTART"].dt == dt.datetime(2026, 4, 13, 9, 0, tzinfo=paris)
    assert s2["DTEND"].dt == dt.datetime(2026, 4, 13, 17, 0, tzinfo=paris)
    assert s2["RRULE"]["FREQ"] == ["DAILY"] and s2["RRULE"]["COUNT"] == [3]
    s4 = events[f"S4@{pid}.ilt-xl"]
    assert s4["DTSTART"].dt == dt.datetime(2026, 1, 5, 13, 30, tzinfo=ZoneInfo("Europe/Berlin")) and "RRULE" not in s4
    assert str(s4["STATUS"]) == "CONFIRMED" and str(s2["STATUS"]) == "CONFIRMED"


def test_cancelled_session_is_emitted_cancelled():
    pid = planner_id("p")
    s3 = _events(calendar_for(_tables(), Resource("room", "R1", "Room 1"), pid, NOW))[f"S3@{pid}.ilt-xl"]
    assert str(s3["STATUS"]) == "CANCELLED"
    assert str(s3["SUMMARY"]) == "Safety  First (S3)", "control characters are removed"


def test_cell_text_cannot_inject_properties_or_components():
    pid = planner_id("p")
    for resource in (Resource("instructor", "I1", ""), Resource("instructor", "I2", "")):
        raw = calendar_for(_tables(), resource, pid, NOW).to_ical().decode()
        lines = raw.split("\r\n")
        assert sum(line == "BEGIN:VEVENT" for line in lines) == raw.count("END:VEVENT")
        assert not any(line.startswith(("UID:evil", "ATTENDEE")) for line in lines)
    events = _events(calendar_for(_tables(), Resource("room", "R2", ""), pid, NOW))
    assert str(events[f"S2@{pid}.ilt-xl"]["LOCATION"]) == "Salle 2, Paris\nBEGIN:VEVENT\nUID:evil, FR"
    assert str(events[f"S2@{pid}.ilt-xl"]["SUMMARY"]) == "Leading, Teams (S2)"


@pytest.fixture(scope="module")
def planner(tmp_path_factory) -> Path:
    example = Path(__file__).resolve().parents[1] / "workbooks" / "ilt_planner_example.xlsx"
    folder = tmp_path_factory.mktemp("ics")
    if example.exists():
        return Path(shutil.copy(example, folder / "plan.xlsx"))
    from ilt_xl.workbook.builder import build_planner
    from ilt_xl.workbook.example import make_example

    return build_planner(folder / "plan.xlsx", make_example(60))


def test_cli_writes_one_calendar_or_all(planner, tmp_path):
    from ilt_xl.workbook.reader import read_planner

    tables = read_planner(planner, validate=False).tables
    instructor = str(tables["Sessions"]["InstructorId"].value_counts().index[0])
    runner = CliRunner()
    out = tmp_path / "one.ics"
    result = runner.invoke(app, ["ics", str(planner), "--instructor", instructor.lower(), "-o", str(out)])
    assert result.exit_code == 0, result.output
    expected = int((tables["Sessions"]["InstructorId"] == instructor).sum())
    assert len(Calendar.from_ical(out.read_bytes()).walk("VEVENT")) == expected
    result = runner.invoke(app, ["ics", str(planner), "--all", str(tmp_path / "all")])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "all").iterdir())
    assert len(files) == len(tables["Instructors"]) + len(tables["Rooms"])
    assert f"instructor-{instructor}.ics" in files
    before = {name: (tmp_path / "all" / name).read_bytes() for name in files}
    assert runner.invoke(app, ["ics", str(planner), "--all", str(tmp_path / "all")]).exit_code == 0
    assert {name: (tmp_path / "all" / name).read_bytes() for name in files} == before, "re-export: nothing changed"
    assert runner.invoke(app, ["ics", str(planner), "--room", "NO-SUCH-ROOM"]).exit_code == 1
    assert runner.invoke(app, ["ics", str(planner), "--room", "R1", "--instructor", "I1"]).exit_code == 2
    assert runner.invoke(app, ["ics", str(tmp_path / "missing.xlsx"), "--room", "R1"]).exit_code == 2
    room = str(tables["Rooms"]["RoomId"].iloc[0])
    assert runner.invoke(app, ["ics", str(planner), "--room", room, "-o", str(tmp_path / "no" / "x.ics")]).exit_code == 3


def test_long_and_non_ascii_text_is_folded_at_75_octets_and_reads_back_whole():
    pid = planner_id("p")
    tables = _tables()
    title = "Führung für Fortgeschrittene 🚀, Teil; zwei\\drei " * 4
    tables["Courses"].loc[0, "Title"] = title
    raw = calendar_for(tables, Resource("instructor", "I1", "Zoë Øster"), pid, NOW).to_ical()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "RFC 5545: lines of at most 75 octets"
    s1 = _events(calendar_for(tables, Resource("instructor", "I1", "Zoë Øster"), pid, NOW))[f"S1@{pid}.ilt-xl"]
    assert str(s1["SUMMARY"]) == f"{title.strip()} (S1)"
    assert str(Calendar.from_ical(raw)["X-WR-CALNAME"]) == "ILT sessions: Zoë Øster (I1)"
