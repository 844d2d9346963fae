"""``ilt-xl ics PATH --instructor ID | --room ID | --all DIR``: calendars of the sessions (.ics).

``--instructor``/``--room`` write one calendar (``-o FILE``, default
``<stem>.instructor-ID.ics`` next to PATH); ``--all DIR`` writes one file per
instructor and per room into DIR (``instructor-ID.ics``, ``room-ID.ics``, the ID percent-encoded
where a file name could not hold it: ``I/01`` -> ``instructor-I%2F01.ics``), all or none of them.
Calendars are exports: an existing .ics is replaced, since re-exporting is how
calendars learn about moved and cancelled sessions (stable UIDs; an unchanged event keeps its
SEQUENCE, a changed one gets the next: see :mod:`ilt_xl.workbook.ics`). Exit codes: 0 written, 1 unknown instructor or room,
2 unusable input or options, 3 output not writable.
"""
from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ilt_xl.cli.app import (
    EXIT_BAD_INPUT, EXIT_CANNOT_WRITE, EXIT_OK, EXIT_PROBLEMS, app, console, err_console, refuse_output_is_input,
)
from ilt_xl.cli.output import examples, plural


def _fail(message: str, code: int) -> None:
    err_console.print(f"[bold red]{escape(message)}[/]", highlight=False)
    raise typer.Exit(code)


def _say_sessions_left_out(planner) -> None:
    """A warning, located, for each session whose dates cannot be read: its calendars leave it out."""
    sheet = planner.layouts["Sessions"].sheet if "Sessions" in planner.layouts else "Sessions"
    for p in planner.problems:
        if p.is_error and p.sheet == sheet and p.column in ("StartDate", "EndDate") and p.cell:
            err_console.print(f"[yellow]Left out of the calendars:[/] the session in {escape(p.sheet)}!{p.cell}: "
                              f"{escape(p.message)}", highlight=False)


@app.command(epilog=examples(
    ("ilt-xl ics plan.xlsx --instructor I001", "writes plan.instructor-I001.ics"),
    ("ilt-xl ics plan.xlsx --room R010 -o room.ics", "one room's calendar"),
    ("ilt-xl ics plan.xlsx --all calendars", "every instructor's and room's, re-exported in place"),
))
def ics(
    path: Path = typer.Argument(..., help="The planner workbook (.xlsx)."),
    instructor: str = typer.Option(None, "--instructor", help="Calendar of this instructor (InstructorId)."),
    room: str = typer.Option(None, "--room", help="Calendar of this room (RoomId)."),
    all_dir: Path = typer.Option(None, "--all", help="Write every instructor's and room's calendar into this folder."),
    output: Path = typer.Option(None, "--output", "-o", help="The .ics file (with --instructor or --room)."),
    planner_name: str = typer.Option(None, "--planner-id", help="Name that makes UIDs unique (default: PATH's stem)."),
) -> None:
    """Export sessions as RFC 5545 calendars (.ics), per instructor or room, with stable UIDs."""
    from ilt_xl.atomic_write import real_target
    from ilt_xl.workbook.ics import (
        PlannerIndex, calendar_for, find_resource, planner_id, previous_events, resources, write_calendar,
        write_calendars,
    )
    from ilt_xl.workbook.reader import read_planner
    from ilt_xl.xlsx import WorkbookError

    if sum(x is not None for x in (instructor, room, all_dir)) != 1:
        _fail("Give exactly one of --instructor ID, --room ID or --all DIR.", EXIT_BAD_INPUT)
    if all_dir is not None and output is not None:
        _fail("-o names one file; with --all the files go into DIR.", EXIT_BAD_INPUT)
    try:
        planner = read_planner(path, validate=False)
    except WorkbookError as exc:
        _fail(f"Cannot use {exc.file}: {exc.reason}", EXIT_BAD_INPUT)
    tables = planner.tables
    _say_sessions_left_out(planner)
    uid_scope = planner_id(planner_name or path.stem)
    try:
        if all_dir is not None:
            index = PlannerIndex.of(tables)
            written = write_calendars(
                ((calendar_for(tables, r, uid_scope, previous=previous_events(all_dir / r.file_name()), index=index),
                  r.file_name())
                 for kind in ("instructor", "room") for r in resources(tables, kind)), all_dir)
            console.print(f"{plural(len(written), 'calendar')} written to {escape(str(all_dir))}", highlight=False)
            raise typer.Exit(EXIT_OK)
        kind, wanted = ("instructor", instructor) if instructor is not None else ("room", room)
        resource = find_resource(tables, kind, wanted)
        if resource is None:
            _fail(f"{path}: no {kind} {wanted!r} in the {'Instructors' if kind == 'instructor' else 'Rooms'} table.",
                  EXIT_PROBLEMS)
        target = output or path.with_name(f"{path.stem}.{resource.file_name()}")
        refuse_output_is_input(path, target, in_place_option=False)
        real_target(target)         # a FIFO, device or folder is refused before anything is read from it
        calendar = calendar_for(tables, resource, uid_scope, previous=previous_events(target))
        write_calendar(calendar, target)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        _fail(f"Cannot write the calendar: {exc.strerror or exc}{where}", EXIT_CANNOT_WRITE)
    events = len(calendar.events)
    console.print(f"{escape(str(target))}: {plural(events, 'session')} of {kind} {escape(resource.id)}", highlight=False)
