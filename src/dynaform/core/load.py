"""Loading ``dynaform.yaml`` into a Project, and resolving it for one environment.

Everything here reads files and is otherwise pure: no DynamoDB call is made, so an invalid
file never sends anything.
"""

from __future__ import annotations

import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from dynaform.core import model as m
from dynaform.core.names import PROJECT_FILE_NAMES as PROJECT_FILE_NAMES
from dynaform.core.problems import Problem, SchemaError, did_you_mean, from_validation_error
from dynaform.core.resolve import PLACEHOLDERS, merged_table, physical_name, placeholders, to_spec
from dynaform.core.source import Located, Path_, SourceError, parse
from dynaform.core.validate import Finding, check_tables, check_tags, without_projected_keys
from dynaform.core.variables import Variable, from_environ, layered, substitute
from dynaform.errors import ConfigError
from dynaform.settings import Target


@dataclass(frozen=True)
class TableSource:
    """Where a table is declared: the document and the path of its mapping in it."""

    located: Located
    path: Path_


@dataclass
class Project:
    file: Path
    raw: m.RawProject
    located: Located
    tables: dict[str, m.RawTable]
    sources: dict[str, TableSource] = field(default_factory=dict)
    var_flags: dict[str, str] = field(default_factory=dict)  # --var NAME=VALUE
    var_environ: dict[str, str] = field(default_factory=dict)  # $DYNAFORM_VAR_NAME
    notes: list[str] = field(default_factory=list)  # what resolving normalized away

    @property
    def name(self) -> str:
        return self.raw.project

    @property
    def directory(self) -> Path:
        return self.file.parent

    def files(self) -> set[Path]:
        """The project file and every file it includes (resolved paths)."""
        found = {self.file.resolve()}
        return found | {source.located.file.resolve() for source in self.sources.values()}

    @property
    def environment_names(self) -> list[str]:
        return list(self.raw.environments)

    def environment(self, name: str) -> m.RawEnvironment:
        return self.raw.environments[name]

    def target(self, env: str) -> Target:
        raw = self.environment(env)
        return Target(
            kind=raw.target, region=raw.region, profile=raw.profile, endpoint_url=raw.endpoint
        )

    def naming(self, env: str) -> str:
        return self.environment(env).naming or self.raw.naming

    def use_vars(self, flags: Mapping[str, str], environ: Mapping[str, str]) -> None:
        """Overrides of the project variables: ``--var`` values, then ``$DYNAFORM_VAR_*``."""
        self.var_flags = dict(flags)
        self.var_environ = from_environ(environ)

    def variables(self, env: str) -> dict[str, Variable]:
        """Each variable's value in ``env`` and where it came from (highest wins)."""
        return layered(
            self.raw.vars, env, self.environment(env).vars, self.var_environ, self.var_flags
        )

    def variable_values(self, env: str) -> dict[str, str]:
        return {name: v.value for name, v in self.variables(env).items()}

    def select_environment(self, flag: str | None, environ: Mapping[str, str]) -> str:
        """-e ENV, else $DYNAFORM_ENV, else default_env, else the only environment."""
        names = self.environment_names
        chosen, origin = flag, "-e"
        if not chosen and environ.get("DYNAFORM_ENV"):
            chosen, origin = environ["DYNAFORM_ENV"], "DYNAFORM_ENV"
        if not chosen and self.raw.default_env:
            chosen, origin = self.raw.default_env, "default_env"
        if not chosen and len(names) == 1:
            chosen = names[0]
        if not chosen:
            raise ConfigError(
                f"{self.file.name} has several environments ({', '.join(names)}) and none was "
                "chosen",
                hint="pass -e ENV, set DYNAFORM_ENV, or add `default_env:` to the project file",
            )
        if chosen not in names:
            close = did_you_mean(chosen, names)
            raise ConfigError(
                f"environment {chosen!r} (from {origin}) is not in {self.file.name}; it has: "
                + ", ".join(names),
                hint=close or "pick one of those, or add it under `environments:`",
            )
        return chosen

    def resolve(self, env: str) -> list[m.TableSpec]:
        """Every table as it should be in ``env``; raises SchemaError on a broken rule."""
        specs: list[m.TableSpec] = []
        problems: list[Problem] = []
        for logical in self.tables:
            try:
                specs.append(self._resolve_table(env, logical))
            except ValidationError as exc:
                source = self.sources[logical]
                problems += from_validation_error(exc, source.located, source.path)
        problems += [self._finding_problem(finding) for finding in check_tables(specs)]
        if problems:
            raise SchemaError(problems, self.directory)
        return specs

    def _resolve_table(self, env: str, logical: str) -> m.TableSpec:
        """One table in ``env``: declaration < environment defaults < environment override."""
        raw_env = self.environment(env)
        source = self.sources[logical]
        declared = source.located.data
        for part in source.path:
            declared = declared[part]
        override_raw = raw_env.tables.get(logical)
        override = override_raw.model_dump(exclude_none=True) if override_raw else {}
        defaults = raw_env.defaults.model_dump(exclude_none=True)
        combined = merged_table(declared, defaults=defaults, override=override)
        if combined.get("billing") == "on_demand" and isinstance(declared.get("billing"), dict):
            # An environment switched a provisioned table to on demand: its indexes'
            # capacities no longer apply (rather than repeating every index in the override).
            combined["indexes"] = {
                name: {k: v for k, v in gsi.items() if k not in {"read", "write"}}
                for name, gsi in combined.get("indexes", {}).items()
            }
        values = self.variable_values(env)
        missing: set[str] = set()
        combined = substitute(combined, values, missing)
        if missing:
            raise ConfigError(
                f"table {logical!r} uses ${{{sorted(missing)[0]}}}, which is not a variable",
                hint="declare it under `vars:` or pass --var NAME=VALUE",
            )
        merged = m.RawTable.model_validate(combined)
        pattern = merged.physical_name or self.naming(env)
        try:
            physical = physical_name(pattern, self.name, env, logical, values)
        except (KeyError, ValueError, IndexError) as exc:
            raise ConfigError(
                f"table {logical!r}: cannot fill in the name {pattern!r} ({exc})",
                hint="use {project}, {env}, {table} or a variable declared under `vars:`",
            ) from None
        tags = {**self.raw.tags, **raw_env.tags, **merged.tags, "environment": env}
        spec, notes = without_projected_keys(to_spec(logical, physical, merged, tags))
        self.notes.extend(n for n in notes if n not in self.notes)
        return spec

    def _finding_problem(self, finding: Finding) -> Problem:
        source = self.sources[finding.table]
        path = (*source.path, *finding.path)
        return Problem(
            source.located.file,
            source.located.line_of(path),
            ".".join(str(p) for p in path),
            finding.message,
            finding.fix,
        )


def _explicit_project_file(explicit: Path) -> Path:
    hint = "check the path given to -f/--file"
    try:
        mode = explicit.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(f"project file {explicit} does not exist", hint=hint) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read project file {explicit}: {exc.strerror or exc}", hint=hint
        ) from None
    if stat.S_ISDIR(mode):
        raise ConfigError(
            f"project file {explicit} is a directory",
            hint=f"pass the file inside it: -f {explicit / PROJECT_FILE_NAMES[0]}",
        )
    if not stat.S_ISREG(mode):
        raise ConfigError(f"project file {explicit} is not a regular file", hint=hint)
    return explicit


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long, say: not a project file either
        return False


def find_project_file(start: Path, explicit: Path | None = None) -> Path:
    if explicit is not None:
        return _explicit_project_file(explicit)
    here = _absolute(start)
    for directory in (here, *here.parents):
        for name in PROJECT_FILE_NAMES:
            if _is_file(directory / name):
                return directory / name
    raise ConfigError(
        f"no dynaform.yaml in {here} or its parents",
        hint="create one (see docs/project-file.md), or pass -f PATH",
    )


def _check_naming(
    located: Located, path: Path_, pattern: str, variables: frozenset[str] = frozenset()
) -> list[Problem]:
    line = located.line_of(path)
    where = ".".join(str(p) for p in path)
    try:
        used = placeholders(pattern)
    except ValueError as exc:
        return [
            Problem(
                located.file,
                line,
                where,
                f"broken naming rule: {exc}",
                "write placeholders as {project}, {env} and {table}",
            )
        ]
    problems = []
    unknown = sorted(used - PLACEHOLDERS - variables)
    if unknown:
        problems.append(
            Problem(
                located.file,
                line,
                where,
                f"unknown placeholder {{{unknown[0]}}}",
                "use {project}, {env}, {table} or a variable declared under `vars:`",
            )
        )
    if "table" not in used:
        problems.append(
            Problem(
                located.file,
                line,
                where,
                "the naming rule lacks {table}, so every table would get the same name",
                "add {table}",
            )
        )
    return problems


def _tag_problems(located: Located, path: Path_, tags: Mapping[str, str]) -> list[Problem]:
    return [
        Problem(
            located.file,
            located.line_of((*path, key)),
            ".".join(map(str, (*path, key))),
            message,
            fix,
        )
        for key, message, fix in check_tags(tags)
    ]


def load_project(file: Path) -> Project:
    """Parse and validate the project file and its includes (no environment chosen yet)."""
    file = _absolute(file)
    located = _parse_project(file)
    try:
        raw = m.RawProject.model_validate(located.data)
    except ValidationError as exc:
        raise SchemaError(from_validation_error(exc, located), file.parent) from exc
    tables = dict(raw.tables)
    sources = {name: TableSource(located, ("tables", name)) for name in raw.tables}
    problems = _load_includes(located, raw.include, tables, sources)
    names = _variable_names(raw)
    problems += _check_naming(located, ("naming",), raw.naming, names)
    problems += _tag_problems(located, ("tags",), raw.tags)
    for name, declared_table in tables.items():
        source = sources[name]
        problems += _tag_problems(source.located, (*source.path, "tags"), declared_table.tags)
    for env_name, env in raw.environments.items():
        problems += _environment_problems(located, env_name, env, tables, names)
    if raw.default_env is not None and raw.default_env not in raw.environments:
        problems.append(
            Problem(
                file,
                located.line_of(("default_env",)),
                "default_env",
                f"{raw.default_env!r} is not an environment",
                did_you_mean(raw.default_env, raw.environments) or "name one under `environments:`",
            )
        )
    if problems:
        raise SchemaError(problems, file.parent)
    return Project(file=file, raw=raw, located=located, tables=tables, sources=sources)


def _variable_names(raw: m.RawProject) -> frozenset[str]:
    names = set(raw.vars)
    for env in raw.environments.values():
        names.update(env.vars)
    return frozenset(names)


def _absolute(file: Path) -> Path:
    try:
        return file.resolve()
    except (OSError, RuntimeError):  # a symlink loop: reading it names the problem
        return file.absolute()


def _parse_project(file: Path) -> Located:
    try:
        located = parse(file)
    except SourceError as exc:
        raise SchemaError([Problem(exc.file, exc.line, "", exc.message)], file.parent) from exc
    if not isinstance(located.data, dict):
        problem = Problem(
            file, 1, "", "the project file must be a mapping", "start with `project: <name>`"
        )
        raise SchemaError([problem], file.parent)
    return located


def _environment_problems(
    located: Located,
    env_name: str,
    env: m.RawEnvironment,
    tables: Mapping[str, m.RawTable],
    variables: frozenset[str] = frozenset(),
) -> list[Problem]:
    problems = _tag_problems(located, ("environments", env_name, "tags"), env.tags)
    for table_name, override in env.tables.items():
        tag_path = ("environments", env_name, "tables", table_name, "tags")
        problems += _tag_problems(located, tag_path, override.tags or {})
    if env.naming is not None:
        naming_path = ("environments", env_name, "naming")
        problems += _check_naming(located, naming_path, env.naming, variables)
    for table in env.tables:
        if table not in tables:
            path = ("environments", env_name, "tables", table)
            problems.append(
                Problem(
                    located.file,
                    located.line_of(path),
                    ".".join(path),
                    f"overrides table {table!r}, which is not declared",
                    did_you_mean(table, tables)
                    or "declare it under `tables:` or remove the override",
                )
            )
    return problems


def _load_includes(
    located: Located,
    patterns: list[str],
    tables: dict[str, m.RawTable],
    sources: dict[str, TableSource],
) -> list[Problem]:
    problems: list[Problem] = []
    for index, pattern in enumerate(patterns):
        line = located.line_of(("include", index))
        try:
            matches = sorted(p for p in located.file.parent.glob(pattern) if _is_file(p))
        except (ValueError, NotImplementedError, OSError) as exc:  # absolute or empty patterns
            problems.append(
                Problem(
                    located.file,
                    line,
                    f"include.{index}",
                    f"{pattern!r} is not a usable pattern ({exc})",
                    "write a pattern relative to the project file, like tables/*.yaml",
                )
            )
            continue
        if not matches:
            problems.append(
                Problem(
                    located.file,
                    line,
                    f"include.{index}",
                    f"{pattern!r} matches no file",
                    "fix the pattern or remove it",
                )
            )
        for match in matches:
            problems += _load_include(match, tables, sources)
    return problems


def _load_include(
    path: Path, tables: dict[str, m.RawTable], sources: dict[str, TableSource]
) -> list[Problem]:
    try:
        located = parse(path)
    except SourceError as exc:
        return [Problem(exc.file, exc.line, "", exc.message)]
    if not isinstance(located.data, dict):
        return [
            Problem(
                path,
                1,
                "",
                "an included file maps table names to tables",
                "write `<table>: {partition_key: ...}`",
            )
        ]
    problems: list[Problem] = []
    for name, body in located.data.items():
        if name in tables:
            problems.append(
                Problem(
                    path,
                    located.line_of((name,)),
                    name,
                    "this table is declared twice",
                    f"it is also in {sources[name].located.file.name}",
                )
            )
            continue
        try:
            tables[name] = m.RawTable.model_validate(body)
        except ValidationError as exc:
            problems += from_validation_error(exc, located, (name,))
            continue
        sources[name] = TableSource(located, (name,))
    return problems
