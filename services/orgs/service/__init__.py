"""orgs' use cases, by topic: the hierarchy (hierarchy.py), a unit's own information and home
(units.py), certification from the business licence (certification.py), affiliation
requests and decisions (affiliation.py), a unit's employees and their businesses in progress
(employees.py); who may do what is access.py. Every change goes out on the bus in the same
transaction."""
from .affiliation import (approve_affiliation_directly, approve_request, decide, my_affiliation,
                          my_requests, on_person_rebound, on_person_verified,
                          on_profile_submitted, reject_request, request_affiliation)
from .employees import (employee_detail, list_affiliations, on_instance_completed,
                        on_instance_started, unlink, unlink_check, unlink_employee,
                        update_employment)
from .certification import (certify_directly, get_certification, recognise_licence, review_certification,
                            submit_certification)
from .permissions import get_permission, list_permissions
from .hierarchy import create_org, get_org, list_orgs, org_payload, register_org, update_org
from .units import (find_by_association_code, get_profile, maintain_handler,
                    regenerate_association_code, save_profile, submit_profile, unit_home)

__all__ = [
    "approve_affiliation_directly", "approve_request", "decide", "employee_detail",
    "list_affiliations", "my_affiliation", "my_requests", "on_instance_completed",
    "on_instance_started", "on_person_rebound", "on_person_verified", "on_profile_submitted", "reject_request", "request_affiliation", "unlink", "unlink_check",
    "unlink_employee", "update_employment", "create_org", "get_org", "list_orgs", "org_payload",
    "register_org", "update_org", "find_by_association_code", "get_profile", "maintain_handler",
    "regenerate_association_code", "save_profile", "submit_profile", "unit_home",
    "get_permission", "list_permissions", "certify_directly", "get_certification", "recognise_licence", "review_certification", "submit_certification",
]
