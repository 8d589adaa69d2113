import base64

AUTH = {"Authorization": "Basic " + base64.b64encode(b"kobo:hook-pass").decode()}


def submit_and_read(sandbox, form, answers, **kw):
    """Submit like a phone and read the record back as Kobo's data API (and hook) has it."""
    xml, instance_id = form.instance(answers, **kw)
    resp = sandbox.submit(xml)
    assert resp.status_code == 201, resp.text
    records = sandbox.api(
        "GET",
        f"/api/v2/assets/{form.asset_uid}/data/",
        params={"query": f'{{"_uuid": "{instance_id.removeprefix("uuid:")}"}}'},
    ).json()["results"]
    assert len(records) == 1
    return records[0]
