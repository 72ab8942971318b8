"""What orgs publishes (it consumes nothing yet).

  orgs.org.registered          {org_id, kind, name, parent_id}
  orgs.affiliation.approved    {affiliation_id, person_id, unit_id}
"""
