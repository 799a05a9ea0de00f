"""Fixtures of the hostile-input tests: the corpus, built once per session from a generated form."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import build_corpus  # noqa: E402


@pytest.fixture(scope="session")
def corpus_base(tmp_path_factory: pytest.TempPathFactory) -> build_corpus.Base:
    return build_corpus.make_base(tmp_path_factory.mktemp("corpus-base"))


@pytest.fixture(scope="session")
def corpus(
    tmp_path_factory: pytest.TempPathFactory, corpus_base: build_corpus.Base
) -> dict[str, build_corpus.Built]:
    out = tmp_path_factory.mktemp("corpus")
    return {b.name: b for b in build_corpus.build_corpus(out, corpus_base)}
