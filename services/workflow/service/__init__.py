"""workflow's use cases, by topic: definitions (deploy, the admins' API, migration),
instances (start, complete, withdraw, incidents), rules (what a process's settings switch
on), inbox (reviewers' tasks), timers (the scheduler), catalogue (service list,
restrictions, in-progress, notices, prompts), operations (admins' search, trace, move),
triggers (processes an event starts), rights (the person's export and closing). The
businesses' own use cases are in services/workflow/businesses/."""
from .catalogue import (catalogue, certificates, in_progress, lift, mark_prompts_read, notices,  # noqa: F401
                        prefill, prompts, publish_notice, restrict, restrictions)
from .definitions import (catalogue_of_definitions, check, deploy, deploy_directory, diff, download,  # noqa: F401
                          list_processes, make_current, migrate, upload, versions)
from .inbox import (assign, claim, colleagues, comment, counts, delegate,  # noqa: F401
                    delete_filter, inbox, resolve, save_filter, saved_filters, task_detail,
                    unclaim)
from .instances import (audit_trail, complete_task, incidents, instance_detail,  # noqa: F401
                        my_instances, retry, start_instance, withdraw)
from .operations import move, search as search_instances, trace  # noqa: F401
from .instances import complete_task_view, start_instance_view  # noqa: F401
from .rules import reveal_personal  # noqa: F401
from .timers import fire_due_timers, take_lease  # noqa: F401
