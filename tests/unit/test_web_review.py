"""The workbench says a refused decision in plain words: someone else was quicker (409), or
the four-eyes rule (403) — situations a reviewer meets, not faults."""
from gateway.web.client import ApiError
from gateway.web.review.inbox import plain


def test_already_handled_is_said_plainly():
    assert plain(ApiError(409, {"detail": "该任务已被处理，请刷新待办列表"})) == \
        "已被他人处理：该任务已被处理，请刷新待办列表"


def test_four_eyes_is_explained_with_what_to_do():
    detail = "您已在本申请的“归口单位审核”环节办理过，同一人不能在两个审核层级办理同一申请（四眼原则）"
    text = plain(ApiError(403, {"detail": detail}))
    assert text == ("按照四眼原则，您已在本申请的“归口单位审核”环节办理过，同一人不能在两个审核层级"
                    "办理同一申请。请由同组其他同事办理。")


def test_other_refusals_keep_the_api_words():
    assert plain(ApiError(403, {"detail": "只能退回本人认领的任务"})) == "只能退回本人认领的任务"
