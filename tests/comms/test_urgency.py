"""comms.urgency: urgent words in English, Russian and Greek; flags; negations; only the top of the mail."""

import pytest

from comms.urgency import TEXT_WINDOW, fold, is_urgent


@pytest.mark.parametrize(
    "subject",
    [
        "URGENT: invoice",
        "Urgently need the files",
        "Please reply ASAP",
        "a.s.a.p. please",
        "Emergency!",
        "Our site is down",
        "Website went down after the update",
        "The shop is not working",
        "Срочно: правки",
        "СРОЧНЫЙ вопрос",
        "Горит дедлайн",
        "Сайт не работает",
        "Сайт упал",
        "Нужно как можно скорее",
        "Επείγον: τιμολόγιο",
        "ΕΠΕΙΓΟΝ",
        "επειγόντως",
        "Χρειάζομαι απάντηση άμεσα",
        "Αμεσα",
        "Η σελίδα δεν λειτουργεί",
    ],
)
def test_urgent_words_in_the_subject(subject):
    assert is_urgent(subject, "")


@pytest.mark.parametrize(
    "subject",
    [
        "Invoice for November",
        "Insurgent movie poster",  # not a whole word
        "Downloads page",
        "The numbers are down this month",
        "Не срочно: идеи на потом",
        "Not urgent, but could you look?",
        "Δεν είναι επείγον",
        "Горизонт планирования",
        "Прайс-лист",
    ],
)
def test_ordinary_and_negated_subjects_are_not_urgent(subject):
    assert not is_urgent(subject, "")


def test_words_in_the_first_lines_of_the_text_count():
    assert is_urgent("Question", "Hi, the checkout is broken, please help")


def test_words_far_down_the_text_do_not():
    text = "Hello, here are the notes from our call.\n" * 20 + "PS: our agency handles urgent fixes 24/7."
    assert len(text) > TEXT_WINDOW

    assert not is_urgent("Notes", text)


def test_a_flag_is_enough():
    assert is_urgent("Notes", "Hello", flagged=True)


def test_fold_is_case_and_accent_insensitive():
    assert fold("ΕΠΕΊΓΟΝ") == fold("επειγον")
    assert fold("Ёлка Йод") == fold("ёлка йод")
    assert fold("Ταχύς") == "ταχυσ"  # final sigma folds like any sigma
