"""Validate influxguard's OCSF output with py-ocsf-models (an implementation nobody here wrote).

Reads a JSON array of events (a file given as argument), validates each as a ComplianceFinding
(class_uid 2003), its `cloud` object (the OCSF cloud profile, which the library's
ComplianceFinding does not declare) as a Cloud, and reports every key the models did not know:
pydantic ignores unknown keys silently, so a typo would otherwise pass. Prints one JSON object.
"""
import json
import sys
from importlib.metadata import version

from py_ocsf_models import OCSF_VERSION
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from py_ocsf_models.objects.cloud import Cloud


def unknown_keys(given, dumped, path=""):
    """Keys present in the input but absent from the model's dump (i.e. dropped as unknown)."""
    out = []
    if isinstance(given, dict) and isinstance(dumped, dict):
        for k, v in given.items():
            here = f"{path}.{k}" if path else k
            if k not in dumped:
                out.append(here)
            elif k not in ("unmapped", "data"):  # free-form objects by definition
                out += unknown_keys(v, dumped[k], here)
    elif isinstance(given, list) and isinstance(dumped, list):
        for i, (g, d) in enumerate(zip(given, dumped)):
            out += unknown_keys(g, d, f"{path}[{i}]")
    return out


def main():
    events = json.load(open(sys.argv[1]))
    errors = []
    for i, event in enumerate(events):
        try:
            event = dict(event)
            cloud = event.pop("cloud", None)
            model = ComplianceFinding.model_validate(event)
            dumped = model.model_dump(mode="json", exclude_unset=True)
            for k in unknown_keys(event, dumped):
                errors.append(f"event {i}: unknown key {k}")
            if model.class_uid != 2003 or model.type_uid != 200301:
                errors.append(f"event {i}: class_uid {model.class_uid} type_uid {model.type_uid}")
            if cloud is not None:
                c = Cloud.model_validate(cloud)
                for k in unknown_keys(cloud, c.model_dump(mode="json", exclude_unset=True)):
                    errors.append(f"event {i}: unknown key cloud.{k}")
        except Exception as e:  # pydantic.ValidationError and anything else: report, go on
            errors.append(f"event {i}: {e}")
    print(json.dumps({"validated": len(events), "errors": errors, "ocsf_version": OCSF_VERSION,
                      "py_ocsf_models": version("py-ocsf-models")}))


if __name__ == "__main__":
    main()
