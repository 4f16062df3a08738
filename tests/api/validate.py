#!/usr/bin/python3
"""Validate recorded API responses against docs/api/openapi.yaml (OpenAPI 3.1: the schemas
are JSON Schema 2020-12).  usage: validate.py SPEC INDEX
INDEX lines: "BODYFILE METHOD PATH STATUS CONTENT-TYPE".  Prints one line per response that
does not match (an undocumented path, method or status; a body that fails its schema) and
the (path, method, status) combinations seen; exits 1 when any failed."""
import json, re, sys
import yaml
from jsonschema import Draft202012Validator

spec = yaml.safe_load(open(sys.argv[1]))
paths = []
for tmpl, item in spec["paths"].items():
    rx = "^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(tmpl)) + "$"
    paths.append((re.compile(rx), tmpl, item))

bad = 0
seen = set()
n = 0
for line in open(sys.argv[2]):
    parts = line.rstrip("\n").split(" ", 4)
    if len(parts) < 4:
        continue
    bodyfile, method, path, status = parts[:4]
    ctype = parts[4] if len(parts) > 4 else ""
    if status == "000":
        continue  # no HTTP answer at all (the check that sent it reports that): nothing to validate
    n += 1
    path = path.split("?")[0]
    where = f"{method} {path} -> {status}"
    match = [p for p in paths if p[0].match(path)]
    if not match:
        # unknown paths answer 404 in the error shape: validated against Error
        op_resp = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}} \
            if status == "404" else None
        tmpl = "(unknown path)"
    else:
        tmpl, item = match[0][1], match[0][2]
        op = item.get(method.lower())
        if op is None:
            op_resp = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}} \
                if status == "405" else None
        else:
            op_resp = op["responses"].get(status)
    if op_resp is None:
        print(f"undocumented: {where}")
        bad += 1
        continue
    seen.add((tmpl, method, status))
    if "$ref" in op_resp:
        op_resp = spec["components"]["responses"][op_resp["$ref"].split("/")[-1]]
    content = op_resp.get("content")
    body = open(bodyfile, "rb").read()
    if not content:
        if body:
            print(f"{where}: a body where none is documented")
            bad += 1
        continue
    ct = ctype.split(";")[0].strip().lower()
    if ct not in content:
        print(f"{where}: Content-Type '{ctype}' not documented ({', '.join(content)})")
        bad += 1
        continue
    if ct != "application/json":
        continue
    try:
        doc = json.loads(body)
    except ValueError as e:
        print(f"{where}: not JSON: {e}")
        bad += 1
        continue
    schema = dict(content[ct]["schema"])
    schema["components"] = spec["components"]
    errs = sorted(Draft202012Validator(schema).iter_errors(doc), key=str)
    if errs:
        print(f"{where}: {errs[0].message} at {list(errs[0].absolute_path)}")
        bad += 1
for s in sorted(seen):
    print("seen: %s %s %s" % s)
print(f"checked {n} responses, {bad} did not match")
sys.exit(1 if bad else 0)
