"""Importing other people's material into content packs (issue 16).

The contract for a parser (one module per format, listed in registry.BUILTIN):

    from bot.importing.registry import register
    from bot.importing.records import ImportedQuestion, ImportedLookup, ImportOptions, ParseResult
    from bot.importing.text import Refused, read_text, read_bytes, html_to_text

    def parse(path: Path, options: ImportOptions) -> ParseResult: ...
    register("csv", (".csv",), parse)

- Return every question as ImportedQuestion(data, file, place, key): `data` in the bank's question
  YAML shape (content/FORMAT.md): prompt, choices [{id: a, text, explanation}] with ids a..f in
  order, answer [ids], explanation, and, when the source says so, exams, services, difficulty, lang,
  source.section (the topic). Do NOT set id or source.seed. A choice without its own explanation gets
  explanation "" (the importer marks the question `choice_explanations: false`). `place` is where a
  person finds it ("line 12", "note 1622733"); `key` is what identifies it across imports (an Anki
  note's guid), empty to use the prompt's text.
- A card with no choices (Anki front/back) is an ImportedLookup: data {term, summary: [bullets],
  aliases?, related?: [keys of other entries of the same file]}.
- Anything not importable goes in result.problems via result.problem(path, place, reason): one line
  a person can act on. Informational remarks ("read as Shift_JIS") go in result.notes.
- Raise text.Refused("reason") to refuse the whole file (wrong type, too large, broken encoding).
  Read files with text.read_text / text.read_bytes (size bound in options.max_bytes); turn HTML into
  text with text.html_to_text (scripts and styles are dropped).
- Never write anything: the importer (importer.import_files) assigns stable ids (ids.stable_id:
  pack + file name + key, or prompt and choices), fills exams (--exam or the file's name), services (recognised from
  the bank's service names, or --service), difficulty 2, lang, and the source, drops duplicates,
  checks the whole new pack with the content checker (pack_check) and swaps it in atomically (pack).

A pack on disk, content/packs/NAME/ (the shipped bank is the pack `core`, content/ itself):

    pack.yaml         title, language, licence, source (as the user gave them), imported: true,
                      sources: [{id: FILE NAME, title}] (the files the questions cite as source.seed)
    questions/*.yaml  the bank's question format; one file per imported file
    lookup/*.yaml     the bank's lookup format; optional

content/.import/ holds locks and staging folders: never a pack.
"""

from bot.importing.importer import FileReport, ImportRefused, ImportReport, import_files
from bot.importing.records import ImportedLookup, ImportedQuestion, ImportOptions, ParseResult, Problem

__all__ = [
    "FileReport",
    "ImportOptions",
    "ImportRefused",
    "ImportReport",
    "ImportedLookup",
    "ImportedQuestion",
    "ParseResult",
    "Problem",
    "import_files",
]
