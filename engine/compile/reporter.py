"""Where the passes put what they find: one list of diagnostics for the whole compile."""

from __future__ import annotations

from .. import expr as ex
from ..diagnostics import Diagnostic, Pos, report
from ..yamlload import Document


class Reporter:
    """The diagnostics of one compile, and the files' texts (for positions inside strings)."""

    def __init__(self, diags: list[Diagnostic], texts: dict[str, str]):
        self.diags = diags
        self.texts = texts

    def report(self, code: str, message: str, pos: Pos | None = None, hint: str | None = None) -> None:
        """Add a diagnostic, at the severity the catalogue gives its code."""
        self.diags.append(report(code, message, pos, hint))

    def errors(self) -> int:
        """How many errors so far (a pass compares before and after)."""
        return sum(1 for d in self.diags if d.is_error)

    def expr_error(self, exc: ex.ExprError, doc: Document, path: tuple, what: str) -> None:
        self.report(exc.code, f"{what}: {exc.message}", doc.pos(path), exc.hint)

    def inline_pos(self, doc: Document, path: tuple, value: str, at: int) -> Pos:
        """The line and column of the `{` at index `at` of the string at `path`.

        YAML leaves braces as they are in every style of scalar (plain, quoted, block), so the
        brace is the same-numbered `{` in the file, counting from where the scalar starts."""
        base = doc.pos(path)
        text = self.texts.get(doc.file)
        if text is None or base.line is None:
            return base
        lines = text.split("\n")
        if base.line > len(lines):
            return base
        k = value.count("{", 0, at)
        line, col = base.line - 1, (base.col or 1) - 1
        while line < len(lines):
            row = lines[line]
            while True:
                col = row.find("{", col)
                if col < 0:
                    break
                if k == 0:
                    return Pos(doc.file, line + 1, col + 1)
                k -= 1
                col += 1
            line, col = line + 1, 0
        return base
