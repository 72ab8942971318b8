"""A process's settings (rencai:* on <process>) are parsed once into one typed object; what an
admin's BPMN may not say is refused at validation naming the attribute, never read as the
default (issue 15)."""
import pytest

from services.common.config import PROJECT_ROOT
from services.common.errors import ValidationFailed
from services.workflow import forms, settings
from services.workflow.service.definitions import validate_definition

PLAN = (PROJECT_ROOT / "bpmn" / "plan_project.bpmn").read_bytes()
PLAN_FORMS = forms.load_forms(PROJECT_ROOT / "bpmn" / "forms" / "plan_project")


def _with(attributes: str) -> bytes:
    return PLAN.replace(b'rencai:fourEyes="true"', b'rencai:fourEyes="true" ' + attributes.encode())


def test_every_bpmn_of_the_platform_has_usable_settings():
    for path in sorted((PROJECT_ROOT / "bpmn").glob("*.bpmn")):
        assert settings.problem(path.read_bytes(), path.stem) is None, path.stem


@pytest.mark.parametrize("attributes, attribute, words", [
    ('rencai:onePerApplicant="yes"', "onePerApplicant", "只能是 true 或 false"),
    ('rencai:onePerApplicant="True"', "onePerApplicant", "只能是 true 或 false"),
    ('rencai:onePerApplicnat="true"', "onePerApplicnat", "不是已知的流程设置"),
    ('rencai:affiliation="maybe"', "affiliation", "只能是 required、forbidden、none"),
    ('rencai:unitFrom="moon"', "unitFrom", "只能是 affiliation、association_code、account"),
    ('rencai:business="nobody"', "business", "只能是"),
    ('rencai:startEvent="files.attachment.deleted"', "startEvent", "只能是 identity.appeal.filed"),
])
def test_a_bad_or_unknown_setting_is_refused_naming_it(attributes, attribute, words):
    xml = _with(attributes)
    with pytest.raises(settings.SettingsError) as error:
        settings.parse(xml, "plan_project")
    assert error.value.attribute == attribute
    assert f"rencai:{attribute}" in str(error.value) and words in str(error.value)
    with pytest.raises(ValidationFailed) as refused:
        validate_definition("plan_project", xml, PLAN_FORMS)
    assert f"rencai:{attribute}" in refused.value.errors["bpmn.process"]


def test_other_namespaces_are_not_settings():
    xml = PLAN.replace(b'rencai:fourEyes="true"',
                       b'rencai:fourEyes="false" xmlns:x="urn:other" x:colour="red"')
    parsed = settings.parse(xml, "plan_project")
    assert parsed.four_eyes is False and parsed.check == "plan_project"
    validate_definition("plan_project", xml, PLAN_FORMS)


def test_a_new_business_is_named_by_the_settings_without_a_core_edit():
    from services.workflow import hooks

    hooks.load()
    business = hooks.Business(
        name="lottery", checks={"lottery_ticket": lambda data, context: data},
        unit_sources={"lottery": hooks.UnitSource(lambda session, claims, data: "u-1",
                                                  starters=("person",))})
    xml = _with('rencai:unitFrom="lottery" rencai:business="lottery"').replace(
        b'rencai:check="plan_project"', b'rencai:check="lottery_ticket"')
    assert settings.problem(xml, "plan_project") == \
        "rencai:unitFrom 只能是 affiliation、association_code、account、competition"
    hooks.register(business)
    try:
        settings.parse.cache_clear()
        parsed = settings.parse(xml, "plan_project")
        assert (parsed.unit_from, parsed.check, parsed.business) == \
            ("lottery", "lottery_ticket", "lottery")
        assert hooks.business_of(parsed, "plan_project") is business
        unit = xml.replace(b'rencai:business=', b'rencai:starter="unit" rencai:business=')
        assert settings.problem(unit, "plan_project") == \
            'rencai:unitFrom="lottery" 要求 rencai:starter="person"'
    finally:
        del hooks._BUSINESSES["lottery"], hooks.CHECKS["lottery_ticket"], \
            hooks.UNIT_SOURCES["lottery"]
        settings.parse.cache_clear()
