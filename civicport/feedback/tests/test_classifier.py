"""The category classifier: held-out accuracy, speed, folding, corrections as training data."""

import time

import pytest
from django.core.management import call_command

from civicport.feedback import actions, classifier
from civicport.feedback.tests import factories

pytestmark = pytest.mark.django_db


def test_labelled_set_is_large_and_covers_every_category():
    rows = classifier.labelled_rows()
    from civicport.feedback.models import Category

    assert len(rows) >= 300
    assert {code for code, _text in rows} == set(Category.objects.values_list("code", flat=True))
    assert any(text == classifier.fold(text) for _code, text in rows)  # some typed without marks


def test_training_reports_held_out_accuracy_and_stores_the_model(data_dir):
    result = classifier.classifier_train(include_history=False)
    assert result.held_out >= 60
    assert result.accuracy >= 0.70  # about 0.8 on the shipped set
    assert result.path.is_file() and str(result.path).startswith(str(data_dir))


def test_suggestions_are_right_fast_and_ignore_marks():
    assert classifier.suggest("Đèn đường trước nhà tôi không sáng mấy hôm nay")[0] == "chieu-sang"
    assert classifier.suggest("den duong truoc nha toi khong sang may hom nay")[0] == "chieu-sang"
    assert classifier.suggest("Quán karaoke hát ồn ào đến 2 giờ sáng")[0] == "tieng-on"
    assert classifier.suggest("Mưa to, đường ngập sâu, cống tắc")[0] == "ngap-ung"
    assert classifier.suggest("   ") is None
    started = time.perf_counter()
    for _ in range(50):
        classifier.suggest("Ổ gà lớn giữa đường Nguyễn Văn Linh, xe máy ngã")
    assert (time.perf_counter() - started) / 50 < 0.020


def test_operator_corrections_feed_the_next_training():
    report = factories.report(category="chieu-sang", description="Một nội dung rất lạ xyz")
    assert classifier.history_rows() == []
    actions.report_triage(report_id=report.pk, user=factories.operator(),
                          category_code="cay-xanh")
    assert classifier.history_rows() == [("cay-xanh", "Một nội dung rất lạ xyz")]
    result = classifier.classifier_train()
    assert result.history == 1 and result.samples == result.labelled + 1


def test_train_command_prints_accuracy(capsys):
    call_command("feedback_train", "--labelled-only")
    out = capsys.readouterr().out
    assert "held-out accuracy 0." in out and "labelled" in out
