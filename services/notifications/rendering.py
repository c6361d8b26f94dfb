"""E-mail templates: Jinja2 files under templates/<language>/<name>.{subject.txt,txt,html}.

Undefined variables are errors (StrictUndefined), HTML is autoescaped, and a
template missing in a language falls back to French."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from services.notifications.domain.messages import Content
from services.notifications.domain.wording import DEFAULT_LANGUAGE, normalise_language

TEMPLATES_DIR = Path(__file__).parent / "templates"


class Renderer:
    def __init__(self, templates_dir: Path = TEMPLATES_DIR) -> None:
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates_dir)),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )

    def language_for(self, template: str, language: str) -> str:
        """The language actually used: the requested one if the template exists
        in it, else French."""
        language = normalise_language(language)
        try:
            self._env.get_template(f"{language}/{template}.subject.txt")
        except jinja2.TemplateNotFound:
            return DEFAULT_LANGUAGE
        return language

    def render(self, template: str, language: str, context: Mapping[str, Any]) -> Content:
        language = self.language_for(template, language)
        values = {**context, "language": language}
        subject = self._get(language, template, "subject.txt").render(values)
        subject = " ".join(subject.split())
        values["subject"] = subject
        text = self._get(language, template, "txt").render(values).strip() + "\n"
        html = self._get(language, template, "html").render(values).strip() + "\n"
        return Content(subject=subject, body_text=text, body_html=html)

    def _get(self, language: str, template: str, kind: str) -> jinja2.Template:
        return self._env.get_template(f"{language}/{template}.{kind}")
