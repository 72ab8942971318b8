"""The businesses that need code beyond their BPMN and forms, one module (or package) each.
Each registers its hooks (services/workflow/hooks.py) when imported; hooks.load() imports
every module here at first use, so adding a business edits nothing outside this folder.
The core never imports these modules; they may import the core."""
