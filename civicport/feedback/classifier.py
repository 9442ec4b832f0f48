"""Category suggestion from the Vietnamese text of a report.

TF-IDF over syllable 1–2-grams of the folded text (case, diacritics and đ ignored, so reports
typed without marks match those with marks) and a logistic regression. Training data: the
hand-labelled set shipped in data/labelled_reports.csv plus every report whose category an
operator has confirmed or corrected (`Report.category_confirmed`), so corrections feed the next
training. The model is stored with joblib in DATA_DIR/feedback/classifier.joblib; a process
reloads it when the file changes. Without a stored model the first suggestion trains one.
"""

import csv
import threading
from dataclasses import dataclass
from pathlib import Path

import joblib
from django.conf import settings
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from civicport.core.text import fold

LABELLED_PATH = Path(__file__).resolve().parent / "data" / "labelled_reports.csv"
MAX_HISTORY = 50_000  # most recent confirmed reports used for training
_lock = threading.Lock()
_loaded: dict = {}


def model_path() -> Path:
    return Path(settings.DATA_DIR) / "feedback" / "classifier.joblib"


def labelled_rows() -> list[tuple[str, str]]:
    """(category code, text) pairs of the shipped labelled set."""
    with LABELLED_PATH.open(encoding="utf-8", newline="") as handle:
        return [(row["category"], row["text"]) for row in csv.DictReader(handle)]


def history_rows() -> list[tuple[str, str]]:
    from civicport.feedback.models import Report

    confirmed = (
        Report.objects.filter(category_confirmed=True)
        .order_by("-id")
        .values_list("category__code", "description")[:MAX_HISTORY]
    )
    return list(confirmed)


def _pipeline() -> Pipeline:
    return Pipeline([
        ("tfidf", TfidfVectorizer(
            preprocessor=fold, token_pattern=r"(?u)\b\w+\b", ngram_range=(1, 2),
            sublinear_tf=True, min_df=1,
        )),
        ("model", LogisticRegression(C=20.0, max_iter=2000)),
    ])


@dataclass
class TrainingResult:
    samples: int
    labelled: int
    history: int
    held_out: int
    accuracy: float
    path: Path


SPLIT_SEEDS = (1, 7, 13, 21, 42)


def classifier_train(*, include_history: bool = True, save: bool = True) -> TrainingResult:
    """Score on held-out data — fit on 80 %, test on the other 20 % (stratified), repeated over
    five fixed splits and averaged, since one split of a few hundred reports swings by ±5
    points — then refit on everything and store that model."""
    labelled = labelled_rows()
    history = history_rows() if include_history else []
    rows = labelled + history
    labels = [label for label, _text in rows]
    texts = [text for _label, text in rows]
    scores = []
    for seed in SPLIT_SEEDS:
        train_x, test_x, train_y, test_y = train_test_split(
            texts, labels, test_size=0.2, random_state=seed, stratify=labels
        )
        scores.append(_pipeline().fit(train_x, train_y).score(test_x, test_y))
    accuracy = float(sum(scores) / len(scores))
    final = _pipeline().fit(texts, labels)
    path = model_path()
    if save:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        joblib.dump({"model": final, "accuracy": accuracy, "samples": len(rows)}, tmp)
        tmp.replace(path)  # atomic: a running server never reads half a file
    with _lock:
        _loaded.update(model=final, mtime=path.stat().st_mtime if save else None)
    return TrainingResult(len(rows), len(labelled), len(history), len(test_y), accuracy, path)


def _model() -> Pipeline:
    path = model_path()
    with _lock:
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            mtime = None
        if _loaded.get("model") is not None and (mtime is None or _loaded.get("mtime") == mtime):
            return _loaded["model"]
        if mtime is not None:
            _loaded.update(model=joblib.load(path)["model"], mtime=mtime)
            return _loaded["model"]
    classifier_train(include_history=False)
    return _loaded["model"]


def suggest(text: str) -> tuple[str, float] | None:
    """(category code, probability) best matching `text`, or None for empty text."""
    if not text or not text.strip():
        return None
    model = _model()
    probabilities = model.predict_proba([text[:4000]])[0]
    best = int(probabilities.argmax())
    return str(model.classes_[best]), float(probabilities[best])


def forget_loaded() -> None:
    """Drop the in-memory model (tests that swap DATA_DIR)."""
    with _lock:
        _loaded.clear()
