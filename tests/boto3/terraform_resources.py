"""boto3 conformance script for apigw's control API, Terraform's view of it.

Drives, through boto3's `apigateway` client, every operation and field the
Terraform AWS provider's `aws_api_gateway_*` resources use (one check group
per row of docs/terraform.md, plus tags, exports, PutRestApi, a deployed
MOCK call through the gateway, usage plan keys, documentation, the account
and error parsing), and asserts on what AWS documents and returns:
botocore's `apigateway` service model is the wire format, AWS's API
Gateway developer guide and API reference are the behaviour. Update calls
send the patch operations terraform-provider-aws builds (same ops, paths
and value formats).

Run against a running apigw:

    APIGW_ENDPOINT=http://127.0.0.1:PORT      # the console/control API URL
    APIGW_GATEWAY=http://127.0.0.1:PORT       # the gateway URL
    AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...   # apigw admin create-access-key
    .venv/bin/python tests/boto3/terraform_resources.py [GROUP ...]

A Rust integration test starts apigw on port 0, creates the key and runs
`.venv/bin/python tests/boto3/terraform_resources.py` with those variables.
Each check group runs on its own (its own REST API where it needs one) and
prints one line, PASS or FAIL with every mismatch; the exit code is 0 only
if every group passed. Optional arguments name the groups to run.
"""

import json
import os
import sys
import time
import traceback
import urllib.error
import urllib.request

import boto3
import botocore.config
from botocore.exceptions import ClientError

REGION = "us-east-1"
ENDPOINT = os.environ.get("APIGW_ENDPOINT", "http://127.0.0.1:3000")
GATEWAY = os.environ.get("APIGW_GATEWAY", "http://127.0.0.1:8080")

client = boto3.client(
    "apigateway",
    region_name=REGION,
    endpoint_url=ENDPOINT,
    aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID"),
    aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY"),
    config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}),
)

RUN_ID = str(int(time.time() * 1000))[-8:]


class Group:
    """Collects soft failures so one mismatch does not hide the next."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.checks = 0

    def fail(self, msg):
        self.failures.append(msg)

    def eq(self, actual, expected, label):
        self.checks += 1
        if actual != expected:
            self.fail(f"{label}: got {actual!r}, want {expected!r}")
            return False
        return True

    def true(self, cond, label):
        self.checks += 1
        if not cond:
            self.fail(label)
        return bool(cond)

    def fields(self, obj, expected, label):
        """Each key of expected must be in obj with that value."""
        for k, v in expected.items():
            self.eq(obj.get(k, "<absent>"), v, f"{label}.{k}")

    def absent(self, obj, key, label):
        self.checks += 1
        if key in obj:
            self.fail(f"{label}.{key}: want absent, got {obj[key]!r}")

    def call(self, label, fn, **kw):
        """Runs a call that must succeed; records the error and returns None otherwise."""
        self.checks += 1
        try:
            return fn(**kw)
        except ClientError as e:
            err = e.response.get("Error", {})
            self.fail(f"{label}: {err.get('Code')}: {err.get('Message')}")
        except Exception as e:  # noqa: BLE001
            self.fail(f"{label}: {type(e).__name__}: {e}")
        return None

    def raises(self, label, code, fn, message=None, **kw):
        """A call that must fail with the AWS error `code` (or one of a tuple of codes) and message substring."""
        self.checks += 1
        try:
            fn(**kw)
        except ClientError as e:
            err = e.response.get("Error", {})
            got = err.get("Code")
            codes = code if isinstance(code, tuple) else (code,)
            if got in codes:
                code = got
            exc_cls = getattr(client.exceptions, code, None) if isinstance(code, str) else None
            if got not in codes:
                self.fail(f"{label}: got {got} ({err.get('Message')!r}), want {code}")
                return
            if exc_cls is not None and not isinstance(e, exc_cls):
                self.fail(f"{label}: botocore raised {type(e).__name__}, want {code} class")
            if message is not None and message.lower() not in (err.get("Message") or "").lower():
                self.fail(f"{label}: message {err.get('Message')!r} lacks {message!r}")
            return
        except Exception as e:  # noqa: BLE001
            self.fail(f"{label}: {type(e).__name__}: {e}, want {code}")
            return
        self.fail(f"{label}: succeeded, want {code}")

    def gone(self, label, fn, **kw):
        self.raises(label, "NotFoundException", fn, **kw)


GROUPS = []


def group(fn):
    GROUPS.append(fn)
    return fn


def strip(resp):
    return {k: v for k, v in (resp or {}).items() if k != "ResponseMetadata"}


def new_api(g, name, **kw):
    api = g.call("CreateRestApi", client.create_rest_api, name=f"{name}-{RUN_ID}", **kw)
    if api is None:
        raise RuntimeError("CreateRestApi failed; group cannot continue")
    return api


def root_id(api_id):
    res = client.get_resources(restApiId=api_id)["items"]
    return next(r["id"] for r in res if r["path"] == "/")


def cleanup_api(api_id):
    try:
        client.delete_rest_api(restApiId=api_id)
    except Exception:  # noqa: BLE001
        pass


def mock_get(api_id, resource_id, method="GET", api_key_required=False):
    client.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=method,
                      authorizationType="NONE", apiKeyRequired=api_key_required)
    client.put_method_response(restApiId=api_id, resourceId=resource_id, httpMethod=method,
                               statusCode="200")
    client.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=method,
                           type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
    client.put_integration_response(restApiId=api_id, resourceId=resource_id, httpMethod=method,
                                    statusCode="200",
                                    responseTemplates={"application/json": '{"ok": true}'})


POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
                   "Resource": "execute-api:/*"}],
})


# --------------------------------------------------------------------------
# aws_api_gateway_rest_api / _rest_api_policy
# --------------------------------------------------------------------------

@group
def rest_api(g):
    # Defaults AWS fills in (CreateRestApi / RestApi shape; developer guide).
    bare = new_api(g, "tf-bare")
    try:
        got = strip(g.call("GetRestApi bare", client.get_rest_api, restApiId=bare["id"]))
        g.fields(got, {
            "apiKeySource": "HEADER",
            "disableExecuteApiEndpoint": False,
            "endpointConfiguration": got.get("endpointConfiguration") and {
                **got["endpointConfiguration"], "types": ["EDGE"]},
        }, "GetRestApi(bare)")
        g.eq(got.get("endpointConfiguration", {}).get("types"), ["EDGE"],
             "GetRestApi(bare).endpointConfiguration.types")
        g.true(hasattr(got.get("createdDate"), "year"), "GetRestApi(bare).createdDate is a timestamp")
        g.true(got.get("rootResourceId"), "GetRestApi(bare).rootResourceId present")
        for k in ("binaryMediaTypes", "minimumCompressionSize", "policy", "version"):
            g.absent(got, k, "GetRestApi(bare)")
    finally:
        cleanup_api(bare["id"])

    api = new_api(g, "tf-full", description="full api", version="v1",
                  binaryMediaTypes=["image/png", "application/octet-stream"],
                  minimumCompressionSize=1024, apiKeySource="AUTHORIZER",
                  endpointConfiguration={"types": ["REGIONAL"]},
                  disableExecuteApiEndpoint=True, policy=POLICY,
                  tags={"env": "test", "team": "a"})
    aid = api["id"]
    try:
        g.eq(api.get("name"), f"tf-full-{RUN_ID}", "CreateRestApi.name")
        got = strip(g.call("GetRestApi", client.get_rest_api, restApiId=aid))
        g.fields(got, {
            "id": aid, "name": f"tf-full-{RUN_ID}", "description": "full api", "version": "v1",
            "binaryMediaTypes": ["image/png", "application/octet-stream"],
            "minimumCompressionSize": 1024, "apiKeySource": "AUTHORIZER",
            "disableExecuteApiEndpoint": True, "tags": {"env": "test", "team": "a"},
        }, "GetRestApi")
        g.eq(got.get("endpointConfiguration", {}).get("types"), ["REGIONAL"],
             "GetRestApi.endpointConfiguration.types")
        # AWS returns the policy as an escaped JSON string ({\\"Version\\":...}); Terraform's
        # flattenAPIPolicy (rest_api.go) wraps it in quotes and unquotes it before parsing, so a raw
        # JSON document fails Terraform's read.
        pol = got.get("policy")
        try:
            g.eq(json.loads(json.loads('"' + pol + '"')), json.loads(POLICY),
                 "GetRestApi.policy decoded as Terraform does (escaped JSON string)")
        except Exception as e:  # noqa: BLE001
            g.fail(f"GetRestApi.policy is not an escaped JSON string as AWS returns it: {pol!r} ({e})")

        # GetRestApis lists it (data source aws_api_gateway_rest_api).
        apis = g.call("GetRestApis", client.get_rest_apis, limit=500) or {"items": []}
        g.true(any(a["id"] == aid for a in apis["items"]), "GetRestApis lists the API")

        # Terraform's resourceRestAPIUpdate patch operations.
        upd = g.call("UpdateRestApi", client.update_rest_api, restApiId=aid, patchOperations=[
            {"op": "replace", "path": "/name", "value": f"tf-renamed-{RUN_ID}"},
            {"op": "replace", "path": "/description", "value": "changed"},
            {"op": "replace", "path": "/apiKeySource", "value": "HEADER"},
            {"op": "replace", "path": "/minimumCompressionSize", "value": "2048"},
            {"op": "remove", "path": "/binaryMediaTypes/image~1png"},
            {"op": "add", "path": "/binaryMediaTypes/image~1gif"},
            {"op": "replace", "path": "/endpointConfiguration/types/REGIONAL", "value": "EDGE"},
            {"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "false"},
        ])
        if upd:
            g.fields(upd, {"name": f"tf-renamed-{RUN_ID}", "description": "changed",
                           "apiKeySource": "HEADER", "minimumCompressionSize": 2048,
                           "disableExecuteApiEndpoint": False}, "UpdateRestApi")
            g.eq(sorted(upd.get("binaryMediaTypes", [])), ["application/octet-stream", "image/gif"],
                 "UpdateRestApi.binaryMediaTypes")
            g.eq(upd.get("endpointConfiguration", {}).get("types"), ["EDGE"],
                 "UpdateRestApi.endpointConfiguration.types")
        # Current Terraform (v5/v6) changes the endpoint type with replace /endpointConfiguration/types/0.
        upd = g.call("UpdateRestApi /endpointConfiguration/types/0", client.update_rest_api, restApiId=aid,
                     patchOperations=[{"op": "replace", "path": "/endpointConfiguration/types/0",
                                       "value": "REGIONAL"}])
        if upd:
            g.eq(upd.get("endpointConfiguration", {}).get("types"), ["REGIONAL"],
                 "UpdateRestApi(types/0).endpointConfiguration.types")
        # Current Terraform unsets minimum_compression_size (-1) with a replace that has no value.
        g.call("UpdateRestApi minimumCompressionSize 10", client.update_rest_api, restApiId=aid,
               patchOperations=[{"op": "replace", "path": "/minimumCompressionSize", "value": "10"}])
        upd = g.call("UpdateRestApi unset minimumCompressionSize (no value)", client.update_rest_api,
                     restApiId=aid, patchOperations=[{"op": "replace", "path": "/minimumCompressionSize"}])
        if upd:
            g.absent(upd, "minimumCompressionSize", "UpdateRestApi(unset, no value)")
        g.call("UpdateRestApi minimumCompressionSize 10 again", client.update_rest_api, restApiId=aid,
               patchOperations=[{"op": "replace", "path": "/minimumCompressionSize", "value": "10"}])
        # Older Terraform unsets minimum_compression_size with an empty replace value.
        upd = g.call("UpdateRestApi unset minimumCompressionSize", client.update_rest_api,
                     restApiId=aid, patchOperations=[
                         {"op": "replace", "path": "/minimumCompressionSize", "value": ""}])
        if upd:
            g.absent(upd, "minimumCompressionSize", "UpdateRestApi(unset)")

        # aws_api_gateway_rest_api_policy: replace /policy; delete = replace with "".
        pol2 = POLICY.replace("Allow", "Deny")
        upd = g.call("UpdateRestApi /policy", client.update_rest_api, restApiId=aid,
                     patchOperations=[{"op": "replace", "path": "/policy", "value": pol2}])
        if upd:
            g.true(upd.get("policy") and "Deny" in upd["policy"], "UpdateRestApi /policy stored")
        upd = g.call("UpdateRestApi /policy empty", client.update_rest_api, restApiId=aid,
                     patchOperations=[{"op": "replace", "path": "/policy", "value": ""}])
        if upd:
            g.absent(upd, "policy", "UpdateRestApi(policy removed)")

        # GetResources: the root resource.
        res = g.call("GetResources", client.get_resources, restApiId=aid) or {"items": []}
        g.eq([r["path"] for r in res["items"]], ["/"], "GetResources paths")
        g.eq(res["items"][0].get("id") if res["items"] else None, got.get("rootResourceId"),
             "root resource id == rootResourceId")
    finally:
        g.call("DeleteRestApi", client.delete_rest_api, restApiId=aid)
    g.raises("GetRestApi after delete", "NotFoundException", client.get_rest_api,
             message="Invalid API identifier specified", restApiId=aid)


# --------------------------------------------------------------------------
# aws_api_gateway_rest_api body / aws_api_gateway_rest_api_put, GetExport
# --------------------------------------------------------------------------

OAS = {
    "openapi": "3.0.1",
    "info": {"title": "imported", "version": "2024-01-01"},
    "paths": {
        "/pets": {
            "get": {
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                    "responses": {"default": {"statusCode": "200"}},
                },
            }
        }
    },
}


@group
def put_rest_api_and_export(g):
    api = new_api(g, "tf-put")
    aid = api["id"]
    try:
        # Terraform: PutRestApi(mode=overwrite, failOnWarnings, parameters, body).
        out = g.call("PutRestApi overwrite", client.put_rest_api, restApiId=aid, mode="overwrite",
                     failOnWarnings=False, parameters={"endpointConfigurationTypes": "REGIONAL"},
                     body=json.dumps(OAS).encode())
        if out:
            g.eq(out.get("id"), aid, "PutRestApi.id")
            g.eq(out.get("name"), "imported", "PutRestApi.name (from info.title)")
            g.eq(out.get("version"), "2024-01-01", "PutRestApi.version (from info.version)")
        paths = sorted(r["path"] for r in client.get_resources(restApiId=aid)["items"])
        g.eq(paths, ["/", "/pets"], "resources after PutRestApi")
        pets = next((r for r in client.get_resources(restApiId=aid)["items"] if r["path"] == "/pets"), None)
        if pets:
            integ = g.call("GetIntegration imported", client.get_integration, restApiId=aid,
                           resourceId=pets["id"], httpMethod="GET")
            if integ:
                g.eq(integ.get("type"), "MOCK", "imported integration type")
        # merge adds /owners and keeps /pets.
        merged = json.loads(json.dumps(OAS))
        merged["paths"] = {"/owners": OAS["paths"]["/pets"]}
        g.call("PutRestApi merge", client.put_rest_api, restApiId=aid, mode="merge",
               body=json.dumps(merged).encode())
        paths = sorted(r["path"] for r in client.get_resources(restApiId=aid)["items"])
        g.eq(paths, ["/", "/owners", "/pets"], "resources after PutRestApi merge")
        # overwrite again with only /pets removes /owners.
        g.call("PutRestApi overwrite 2", client.put_rest_api, restApiId=aid, mode="overwrite",
               body=json.dumps(OAS).encode())
        paths = sorted(r["path"] for r in client.get_resources(restApiId=aid)["items"])
        g.eq(paths, ["/", "/pets"], "resources after second overwrite")

        # data aws_api_gateway_export: GetExport oas30 JSON.
        g.call("CreateDeployment", client.create_deployment, restApiId=aid, stageName="exp")
        exp = g.call("GetExport oas30", client.get_export, restApiId=aid, stageName="exp",
                     exportType="oas30", accepts="application/json",
                     parameters={"extensions": "integrations"})
        if exp:
            # AWS answers a JSON export as application/octet-stream (a download), as apigw does.
            g.true(exp.get("contentType", "") in ("application/octet-stream", "application/json"),
                   f"GetExport contentType of a JSON export (got {exp.get('contentType')!r})")
            g.true("contentDisposition" in exp, "GetExport contentDisposition present")
            try:
                doc = json.loads(exp["body"].read())
                g.true(str(doc.get("openapi", "")).startswith("3.0"), "export openapi 3.0.x")
                g.true("/pets" in doc.get("paths", {}), "export has /pets")
                g.true("x-amazon-apigateway-integration" in doc.get("paths", {}).get("/pets", {}).get("get", {}),
                       "export with extensions=integrations carries x-amazon-apigateway-integration")
                g.eq(doc.get("info", {}).get("title"), "imported", "export info.title")
            except Exception as e:  # noqa: BLE001
                g.fail(f"GetExport body not JSON: {e}")
        # data aws_api_gateway_export also takes export_type "swagger" and accepts application/yaml.
        exp = g.call("GetExport swagger", client.get_export, restApiId=aid, stageName="exp",
                     exportType="swagger", accepts="application/json")
        if exp:
            try:
                doc = json.loads(exp["body"].read())
                g.eq(doc.get("swagger"), "2.0", "GetExport swagger: swagger 2.0")
            except Exception as e:  # noqa: BLE001
                g.fail(f"GetExport swagger body not JSON: {e}")
        exp = g.call("GetExport oas30 yaml", client.get_export, restApiId=aid, stageName="exp",
                     exportType="oas30", accepts="application/yaml")
        if exp:
            body = exp["body"].read().decode()
            g.true("openapi:" in body and not body.lstrip().startswith("{"),
                   f"GetExport yaml body is YAML (starts {body[:30]!r})")
            g.true(exp.get("contentType", "").startswith("application/yaml"),
                   f"GetExport yaml contentType (got {exp.get('contentType')!r})")
        g.raises("GetExport unknown stage", "NotFoundException", client.get_export,
                 restApiId=aid, stageName="nope", exportType="oas30", accepts="application/json")

        # CreateRestApi clone_from is refused by name (docs/terraform.md).
        g.raises("ImportRestApi failOnWarnings bad body", "BadRequestException", client.import_rest_api,
                 failOnWarnings=True, body=b"{not json")
    finally:
        cleanup_api(aid)


# --------------------------------------------------------------------------
# aws_api_gateway_resource
# --------------------------------------------------------------------------

@group
def resource(g):
    api = new_api(g, "tf-res")
    aid = api["id"]
    try:
        root = root_id(aid)
        a = g.call("CreateResource", client.create_resource, restApiId=aid, parentId=root, pathPart="a")
        b = g.call("CreateResource b", client.create_resource, restApiId=aid, parentId=root, pathPart="b")
        if not (a and b):
            return
        g.fields(strip(a), {"parentId": root, "pathPart": "a", "path": "/a"}, "CreateResource")
        got = strip(g.call("GetResource", client.get_resource, restApiId=aid, resourceId=a["id"]))
        g.fields(got, {"id": a["id"], "parentId": root, "pathPart": "a", "path": "/a"}, "GetResource")
        g.absent(got, "resourceMethods", "GetResource(no methods)")
        g.raises("CreateResource duplicate", "ConflictException", client.create_resource,
                 message="Another resource with the same parent already has this name",
                 restApiId=aid, parentId=root, pathPart="a")
        # Terraform: replace /pathPart and /parentId.
        upd = g.call("UpdateResource", client.update_resource, restApiId=aid, resourceId=a["id"],
                     patchOperations=[{"op": "replace", "path": "/pathPart", "value": "c"},
                                      {"op": "replace", "path": "/parentId", "value": b["id"]}])
        if upd:
            g.fields(upd, {"pathPart": "c", "parentId": b["id"], "path": "/b/c"}, "UpdateResource")
        g.raises("GetResource unknown", "NotFoundException", client.get_resource,
                 message="Invalid Resource identifier specified", restApiId=aid, resourceId="zzzzzz")
        g.call("DeleteResource", client.delete_resource, restApiId=aid, resourceId=a["id"])
        g.gone("GetResource after delete", client.get_resource, restApiId=aid, resourceId=a["id"])
        # embed=methods (the data source)
        mock_get(aid, b["id"])
        items = g.call("GetResources embed", client.get_resources, restApiId=aid, embed=["methods"])
        if items:
            rb = next((r for r in items["items"] if r["id"] == b["id"]), {})
            g.true("GET" in rb.get("resourceMethods", {}), "GetResources embed=methods has GET")
    finally:
        cleanup_api(aid)


# --------------------------------------------------------------------------
# aws_api_gateway_method, _method_response
# --------------------------------------------------------------------------

@group
def method(g):
    api = new_api(g, "tf-method")
    aid = api["id"]
    try:
        root = root_id(aid)
        model = g.call("CreateModel", client.create_model, restApiId=aid, name="Pet",
                       contentType="application/json", schema=json.dumps({"type": "object"}))
        rv = g.call("CreateRequestValidator", client.create_request_validator, restApiId=aid,
                    name="both", validateRequestBody=True, validateRequestParameters=True)
        m = g.call("PutMethod", client.put_method, restApiId=aid, resourceId=root, httpMethod="POST",
                   authorizationType="NONE", apiKeyRequired=True, operationName="CreatePet",
                   requestModels={"application/json": "Pet"},
                   requestParameters={"method.request.header.X-A": True,
                                      "method.request.querystring.q": False},
                   requestValidatorId=rv["id"] if rv else None) if rv else None
        if not m:
            return
        got = strip(g.call("GetMethod", client.get_method, restApiId=aid, resourceId=root, httpMethod="POST"))
        g.fields(got, {"httpMethod": "POST", "authorizationType": "NONE", "apiKeyRequired": True,
                       "operationName": "CreatePet", "requestModels": {"application/json": "Pet"},
                       "requestParameters": {"method.request.header.X-A": True,
                                             "method.request.querystring.q": False},
                       "requestValidatorId": rv["id"]}, "GetMethod")
        g.raises("PutMethod again", "ConflictException", client.put_method, restApiId=aid,
                 resourceId=root, httpMethod="POST", authorizationType="NONE",
                 message="Method already exists for this resource")
        # Terraform's resourceMethodUpdate ops.
        upd = g.call("UpdateMethod", client.update_method, restApiId=aid, resourceId=root, httpMethod="POST",
                     patchOperations=[
                         {"op": "replace", "path": "/apiKeyRequired", "value": "false"},
                         {"op": "replace", "path": "/operationName", "value": "MakePet"},
                         {"op": "remove", "path": "/requestModels/application~1json"},
                         {"op": "add", "path": "/requestModels/text~1plain", "value": "Empty"},
                         {"op": "remove", "path": "/requestParameters/method.request.querystring.q"},
                         {"op": "add", "path": "/requestParameters/method.request.path.p", "value": "true"},
                         {"op": "replace", "path": "/requestParameters/method.request.header.X-A",
                          "value": "false"},
                         {"op": "replace", "path": "/requestValidatorId", "value": ""},
                     ])
        if upd:
            g.fields(upd, {"apiKeyRequired": False, "operationName": "MakePet",
                           "requestModels": {"text/plain": "Empty"},
                           "requestParameters": {"method.request.header.X-A": False,
                                                 "method.request.path.p": True}}, "UpdateMethod")
            g.absent(upd, "requestValidatorId", "UpdateMethod(validator cleared)")

        # aws_api_gateway_method_response
        mr = g.call("PutMethodResponse", client.put_method_response, restApiId=aid, resourceId=root,
                    httpMethod="POST", statusCode="201",
                    responseModels={"application/json": "Pet"},
                    responseParameters={"method.response.header.X-B": True})
        if mr:
            got = strip(g.call("GetMethodResponse", client.get_method_response, restApiId=aid,
                               resourceId=root, httpMethod="POST", statusCode="201"))
            g.fields(got, {"statusCode": "201", "responseModels": {"application/json": "Pet"},
                           "responseParameters": {"method.response.header.X-B": True}}, "GetMethodResponse")
            meth = strip(client.get_method(restApiId=aid, resourceId=root, httpMethod="POST"))
            g.eq(meth.get("methodResponses", {}).get("201", {}).get("responseModels"),
                 {"application/json": "Pet"}, "GetMethod.methodResponses[201].responseModels")
            upd = g.call("UpdateMethodResponse", client.update_method_response, restApiId=aid,
                         resourceId=root, httpMethod="POST", statusCode="201", patchOperations=[
                             {"op": "remove", "path": "/responseModels/application~1json"},
                             {"op": "add", "path": "/responseModels/text~1plain", "value": "Empty"},
                             {"op": "remove", "path": "/responseParameters/method.response.header.X-B"},
                             {"op": "add", "path": "/responseParameters/method.response.header.X-C",
                              "value": "false"},
                         ])
            if upd:
                g.fields(upd, {"responseModels": {"text/plain": "Empty"},
                               "responseParameters": {"method.response.header.X-C": False}},
                         "UpdateMethodResponse")
            g.call("DeleteMethodResponse", client.delete_method_response, restApiId=aid,
                   resourceId=root, httpMethod="POST", statusCode="201")
            g.gone("GetMethodResponse after delete", client.get_method_response, restApiId=aid,
                   resourceId=root, httpMethod="POST", statusCode="201")

        # Models in use by a method cannot be deleted (AWS: BadRequestException / ConflictException).
        g.call("DeleteMethod", client.delete_method, restApiId=aid, resourceId=root, httpMethod="POST")
        g.raises("GetMethod after delete", "NotFoundException", client.get_method,
                 message="Invalid Method identifier specified",
                 restApiId=aid, resourceId=root, httpMethod="POST")
        if model:
            g.call("DeleteModel unused", client.delete_model, restApiId=aid, modelName="Pet")
    finally:
        cleanup_api(aid)


# --------------------------------------------------------------------------
# aws_api_gateway_integration, _integration_response
# --------------------------------------------------------------------------

@group
def integration(g):
    api = new_api(g, "tf-integ")
    aid = api["id"]
    try:
        root = root_id(aid)
        client.put_method(restApiId=aid, resourceId=root, httpMethod="GET", authorizationType="NONE",
                          requestParameters={"method.request.querystring.id": False})
        i = g.call("PutIntegration HTTP", client.put_integration, restApiId=aid, resourceId=root,
                   httpMethod="GET", type="HTTP", integrationHttpMethod="GET",
                   uri="https://example.com/pets",
                   requestParameters={"integration.request.querystring.id": "method.request.querystring.id"},
                   requestTemplates={"application/json": "{\"a\": 1}"},
                   passthroughBehavior="WHEN_NO_TEMPLATES", timeoutInMillis=5000,
                   cacheKeyParameters=["method.request.querystring.id"], cacheNamespace="ns1")
        if not i:
            return
        got = strip(g.call("GetIntegration", client.get_integration, restApiId=aid, resourceId=root,
                           httpMethod="GET"))
        g.fields(got, {"type": "HTTP", "httpMethod": "GET", "uri": "https://example.com/pets",
                       "requestParameters": {"integration.request.querystring.id":
                                             "method.request.querystring.id"},
                       "requestTemplates": {"application/json": "{\"a\": 1}"},
                       "passthroughBehavior": "WHEN_NO_TEMPLATES", "timeoutInMillis": 5000,
                       "cacheKeyParameters": ["method.request.querystring.id"],
                       "cacheNamespace": "ns1", "connectionType": "INTERNET"}, "GetIntegration")
        # Terraform's resourceIntegrationUpdate ops.
        upd = g.call("UpdateIntegration", client.update_integration, restApiId=aid, resourceId=root,
                     httpMethod="GET", patchOperations=[
                         {"op": "replace", "path": "/uri", "value": "https://example.org/v2"},
                         {"op": "replace", "path": "/httpMethod", "value": "POST"},
                         {"op": "replace", "path": "/passthroughBehavior", "value": "NEVER"},
                         {"op": "replace", "path": "/timeoutInMillis", "value": "10000"},
                         {"op": "replace", "path": "/requestTemplates/application~1json", "value": "{}"},
                         {"op": "add", "path": "/requestTemplates/text~1plain", "value": "x"},
                         {"op": "remove", "path": "/requestParameters/integration.request.querystring.id",
                          "value": "method.request.querystring.id"},
                         {"op": "add", "path": "/requestParameters/integration.request.header.X-Id",
                          "value": "'static'"},
                         {"op": "replace", "path": "/cacheNamespace", "value": "ns2"},
                     ])
        if upd:
            g.fields(upd, {"uri": "https://example.org/v2", "httpMethod": "POST",
                           "passthroughBehavior": "NEVER", "timeoutInMillis": 10000,
                           "requestTemplates": {"application/json": "{}", "text/plain": "x"},
                           "requestParameters": {"integration.request.header.X-Id": "'static'"},
                           "cacheNamespace": "ns2"}, "UpdateIntegration")
        # Terraform's second stage: cache key parameters alone, value "".
        client.update_method(restApiId=aid, resourceId=root, httpMethod="GET", patchOperations=[
            {"op": "add", "path": "/requestParameters/method.request.header.X-K", "value": "false"}])
        upd = g.call("UpdateIntegration cacheKeyParameters", client.update_integration, restApiId=aid,
                     resourceId=root, httpMethod="GET", patchOperations=[
                         {"op": "remove", "path": "/cacheKeyParameters/method.request.querystring.id",
                          "value": ""},
                         {"op": "add", "path": "/cacheKeyParameters/method.request.header.X-K", "value": ""}])
        if upd:
            g.eq(upd.get("cacheKeyParameters"), ["method.request.header.X-K"],
                 "UpdateIntegration.cacheKeyParameters")

        # Integration response (Terraform: PutIntegrationResponse on create and update).
        client.put_method_response(restApiId=aid, resourceId=root, httpMethod="GET", statusCode="400",
                                   responseParameters={"method.response.header.X-E": False})
        ir = g.call("PutIntegrationResponse", client.put_integration_response, restApiId=aid,
                    resourceId=root, httpMethod="GET", statusCode="400", selectionPattern="4\\d{2}",
                    responseParameters={"method.response.header.X-E": "integration.response.header.X-Err"},
                    responseTemplates={"application/json": "#set($x = 1)"})
        if ir:
            got = strip(g.call("GetIntegrationResponse", client.get_integration_response, restApiId=aid,
                               resourceId=root, httpMethod="GET", statusCode="400"))
            g.fields(got, {"statusCode": "400", "selectionPattern": "4\\d{2}",
                           "responseParameters": {"method.response.header.X-E":
                                                  "integration.response.header.X-Err"},
                           "responseTemplates": {"application/json": "#set($x = 1)"}},
                     "GetIntegrationResponse")
            integ = strip(client.get_integration(restApiId=aid, resourceId=root, httpMethod="GET"))
            g.eq(integ.get("integrationResponses", {}).get("400", {}).get("selectionPattern"), "4\\d{2}",
                 "GetIntegration.integrationResponses[400].selectionPattern")
            upd = g.call("UpdateIntegrationResponse", client.update_integration_response, restApiId=aid,
                         resourceId=root, httpMethod="GET", statusCode="400", patchOperations=[
                             {"op": "replace", "path": "/selectionPattern", "value": "400"},
                             {"op": "remove", "path": "/responseTemplates/application~1json"},
                             {"op": "add", "path": "/responseTemplates/text~1plain", "value": "t"},
                         ])
            if upd:
                g.fields(upd, {"selectionPattern": "400", "responseTemplates": {"text/plain": "t"}},
                         "UpdateIntegrationResponse")
            g.call("DeleteIntegrationResponse", client.delete_integration_response, restApiId=aid,
                   resourceId=root, httpMethod="GET", statusCode="400")
            g.gone("GetIntegrationResponse after delete", client.get_integration_response, restApiId=aid,
                   resourceId=root, httpMethod="GET", statusCode="400")

        # MOCK has no connectionType in AWS's answer; HTTP_PROXY does.
        client.put_method(restApiId=aid, resourceId=root, httpMethod="PUT", authorizationType="NONE")
        mi = g.call("PutIntegration MOCK", client.put_integration, restApiId=aid, resourceId=root,
                    httpMethod="PUT", type="MOCK")
        if mi:
            g.eq(mi.get("type"), "MOCK", "PutIntegration MOCK type")
            g.eq(mi.get("passthroughBehavior"), "WHEN_NO_MATCH", "PutIntegration default passthroughBehavior")
            g.eq(mi.get("timeoutInMillis"), 29000, "PutIntegration default timeoutInMillis")
            g.eq(mi.get("cacheNamespace"), root, "PutIntegration default cacheNamespace (resource id)")
            g.eq(mi.get("cacheKeyParameters"), [], "PutIntegration default cacheKeyParameters")
        client.put_method(restApiId=aid, resourceId=root, httpMethod="DELETE", authorizationType="NONE")
        pi = g.call("PutIntegration HTTP_PROXY", client.put_integration, restApiId=aid, resourceId=root,
                    httpMethod="DELETE", type="HTTP_PROXY", integrationHttpMethod="ANY",
                    uri="https://example.com/{proxy}", connectionType="INTERNET")
        if pi:
            g.fields(pi, {"type": "HTTP_PROXY", "httpMethod": "ANY", "connectionType": "INTERNET"},
                     "PutIntegration HTTP_PROXY")
        g.raises("PutIntegration HTTP without uri", "BadRequestException", client.put_integration,
                 restApiId=aid, resourceId=root, httpMethod="PUT", type="HTTP", integrationHttpMethod="GET")
        g.call("DeleteIntegration", client.delete_integration, restApiId=aid, resourceId=root, httpMethod="GET")
        g.gone("GetIntegration after delete", client.get_integration, restApiId=aid, resourceId=root,
               httpMethod="GET")
    finally:
        cleanup_api(aid)


# --------------------------------------------------------------------------
# aws_api_gateway_model, _request_validator, _gateway_response, _authorizer
# --------------------------------------------------------------------------

@group
def model(g):
    api = new_api(g, "tf-model")
    aid = api["id"]
    try:
        schema = json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
                             "properties": {"name": {"type": "string"}}})
        m = g.call("CreateModel", client.create_model, restApiId=aid, name="Pet", description="a pet",
                   contentType="application/json", schema=schema)
        if not m:
            return
        got = strip(g.call("GetModel", client.get_model, restApiId=aid, modelName="Pet"))
        g.fields(got, {"name": "Pet", "description": "a pet", "contentType": "application/json",
                       "schema": schema, "id": m["id"]}, "GetModel")
        g.raises("CreateModel duplicate", "ConflictException", client.create_model, restApiId=aid,
                 name="Pet", contentType="application/json", schema=schema,
                 message="Model name already exists for this REST API")
        schema2 = json.dumps({"type": "object"})
        upd = g.call("UpdateModel", client.update_model, restApiId=aid, modelName="Pet", patchOperations=[
            {"op": "replace", "path": "/description", "value": "changed"},
            {"op": "replace", "path": "/schema", "value": schema2}])
        if upd:
            g.fields(upd, {"description": "changed", "schema": schema2}, "UpdateModel")
        models = g.call("GetModels", client.get_models, restApiId=aid) or {"items": []}
        g.eq(sorted(x["name"] for x in models["items"]), ["Empty", "Error", "Pet"],
             "GetModels names (AWS creates Empty and Error with each API)")
        g.call("DeleteModel", client.delete_model, restApiId=aid, modelName="Pet")
        g.raises("GetModel after delete", "NotFoundException", client.get_model, restApiId=aid,
                 modelName="Pet", message="Invalid model name specified")
    finally:
        cleanup_api(aid)


@group
def request_validator(g):
    api = new_api(g, "tf-rv")
    aid = api["id"]
    try:
        rv = g.call("CreateRequestValidator", client.create_request_validator, restApiId=aid,
                    name="v1", validateRequestBody=True, validateRequestParameters=False)
        if not rv:
            return
        got = strip(g.call("GetRequestValidator", client.get_request_validator, restApiId=aid,
                           requestValidatorId=rv["id"]))
        g.fields(got, {"id": rv["id"], "name": "v1", "validateRequestBody": True,
                       "validateRequestParameters": False}, "GetRequestValidator")
        bare = g.call("CreateRequestValidator bare", client.create_request_validator, restApiId=aid, name="v0")
        if bare:
            g.fields(bare, {"validateRequestBody": False, "validateRequestParameters": False},
                     "CreateRequestValidator(defaults)")
        upd = g.call("UpdateRequestValidator", client.update_request_validator, restApiId=aid,
                     requestValidatorId=rv["id"], patchOperations=[
                         {"op": "replace", "path": "/name", "value": "v2"},
                         {"op": "replace", "path": "/validateRequestBody", "value": "false"},
                         {"op": "replace", "path": "/validateRequestParameters", "value": "true"}])
        if upd:
            g.fields(upd, {"name": "v2", "validateRequestBody": False, "validateRequestParameters": True},
                     "UpdateRequestValidator")
        g.call("DeleteRequestValidator", client.delete_request_validator, restApiId=aid,
               requestValidatorId=rv["id"])
        g.gone("GetRequestValidator after delete", client.get_request_validator, restApiId=aid,
               requestValidatorId=rv["id"])
    finally:
        cleanup_api(aid)


@group
def gateway_response(g):
    api = new_api(g, "tf-gr")
    aid = api["id"]
    try:
        # Before any put: the default (AWS answers defaultResponse true with its default templates).
        d = g.call("GetGatewayResponse default", client.get_gateway_response, restApiId=aid,
                   responseType="MISSING_AUTHENTICATION_TOKEN")
        if d:
            g.fields(d, {"responseType": "MISSING_AUTHENTICATION_TOKEN", "statusCode": "403",
                         "defaultResponse": True}, "GetGatewayResponse(default)")
            g.eq(d.get("responseTemplates"),
                 {"application/json": '{"message":$context.error.messageString}'},
                 "GetGatewayResponse(default).responseTemplates")
        p = g.call("PutGatewayResponse", client.put_gateway_response, restApiId=aid,
                   responseType="UNAUTHORIZED", statusCode="401",
                   responseParameters={"gatewayresponse.header.X-R": "'r'"},
                   responseTemplates={"application/json": '{"m":$context.error.messageString}'})
        if not p:
            return
        got = strip(g.call("GetGatewayResponse", client.get_gateway_response, restApiId=aid,
                           responseType="UNAUTHORIZED"))
        g.fields(got, {"responseType": "UNAUTHORIZED", "statusCode": "401", "defaultResponse": False,
                       "responseParameters": {"gatewayresponse.header.X-R": "'r'"},
                       "responseTemplates": {"application/json": '{"m":$context.error.messageString}'}},
                 "GetGatewayResponse")
        allr = g.call("GetGatewayResponses", client.get_gateway_responses, restApiId=aid, limit=500)
        if allr:
            types = {x["responseType"] for x in allr["items"]}
            g.true({"UNAUTHORIZED", "DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED"} <= types,
                   f"GetGatewayResponses lists defaults and the put one (got {len(types)} types)")
        g.call("DeleteGatewayResponse", client.delete_gateway_response, restApiId=aid,
               responseType="UNAUTHORIZED")
        after = g.call("GetGatewayResponse after delete", client.get_gateway_response, restApiId=aid,
                       responseType="UNAUTHORIZED")
        if after:
            g.fields(after, {"defaultResponse": True, "statusCode": "401"},
                     "GetGatewayResponse after delete (back to default)")
    finally:
        cleanup_api(aid)


@group
def authorizer(g):
    api = new_api(g, "tf-auth")
    aid = api["id"]
    uri = ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
           "arn:aws:lambda:us-east-1:123456789012:function:auth/invocations")
    try:
        a = g.call("CreateAuthorizer TOKEN", client.create_authorizer, restApiId=aid, name="tok",
                   type="TOKEN", authorizerUri=uri,
                   authorizerCredentials="arn:aws:iam::123456789012:role/invoke",
                   identitySource="method.request.header.Authorization",
                   identityValidationExpression="^Bearer .+$", authorizerResultTtlInSeconds=60)
        if a:
            got = strip(g.call("GetAuthorizer", client.get_authorizer, restApiId=aid, authorizerId=a["id"]))
            g.fields(got, {"name": "tok", "type": "TOKEN", "authorizerUri": uri,
                           "authorizerCredentials": "arn:aws:iam::123456789012:role/invoke",
                           "identitySource": "method.request.header.Authorization",
                           "identityValidationExpression": "^Bearer .+$",
                           "authorizerResultTtlInSeconds": 60}, "GetAuthorizer")
            upd = g.call("UpdateAuthorizer", client.update_authorizer, restApiId=aid, authorizerId=a["id"],
                         patchOperations=[
                             {"op": "replace", "path": "/name", "value": "tok2"},
                             {"op": "replace", "path": "/identitySource",
                              "value": "method.request.header.X-Token"},
                             {"op": "replace", "path": "/identityValidationExpression", "value": ""},
                             {"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": "0"},
                             {"op": "replace", "path": "/authorizerCredentials", "value": ""},
                         ])
            if upd:
                g.fields(upd, {"name": "tok2", "identitySource": "method.request.header.X-Token",
                               "authorizerResultTtlInSeconds": 0}, "UpdateAuthorizer")
            lst = g.call("GetAuthorizers", client.get_authorizers, restApiId=aid)
            if lst:
                g.eq([x["id"] for x in lst["items"]], [a["id"]], "GetAuthorizers ids")
            g.call("DeleteAuthorizer", client.delete_authorizer, restApiId=aid, authorizerId=a["id"])
            g.gone("GetAuthorizer after delete", client.get_authorizer, restApiId=aid, authorizerId=a["id"])
        c = g.call("CreateAuthorizer COGNITO", client.create_authorizer, restApiId=aid, name="cog",
                   type="COGNITO_USER_POOLS",
                   providerARNs=["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_A"],
                   identitySource="method.request.header.Authorization")
        if c:
            upd = g.call("UpdateAuthorizer providerARNs", client.update_authorizer, restApiId=aid,
                         authorizerId=c["id"], patchOperations=[
                             {"op": "add", "path": "/providerARNs",
                              "value": "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_B"},
                             {"op": "remove", "path": "/providerARNs",
                              "value": "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_A"}])
            if upd:
                g.eq(upd.get("providerARNs"),
                     ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_B"],
                     "UpdateAuthorizer.providerARNs")
    finally:
        cleanup_api(aid)


# --------------------------------------------------------------------------
# aws_api_gateway_deployment, _stage, _method_settings, gateway call
# --------------------------------------------------------------------------

@group
def deployment_and_invoke(g):
    api = new_api(g, "tf-deploy")
    aid = api["id"]
    try:
        root = root_id(aid)
        g.raises("CreateDeployment without methods", "BadRequestException", client.create_deployment,
                 restApiId=aid, stageName="x", message="The REST API doesn't contain any methods")
        pets = client.create_resource(restApiId=aid, parentId=root, pathPart="pets")
        mock_get(aid, pets["id"])
        d = g.call("CreateDeployment", client.create_deployment, restApiId=aid, description="first",
                   stageName="dev", stageDescription="dev stage", variables={"v": "1"})
        if not d:
            return
        g.true(d.get("id") and hasattr(d.get("createdDate"), "year"), "CreateDeployment id/createdDate")
        got = strip(g.call("GetDeployment", client.get_deployment, restApiId=aid, deploymentId=d["id"]))
        g.fields(got, {"id": d["id"], "description": "first"}, "GetDeployment")
        st = strip(g.call("GetStage dev", client.get_stage, restApiId=aid, stageName="dev"))
        g.fields(st, {"stageName": "dev", "deploymentId": d["id"], "description": "dev stage",
                      "variables": {"v": "1"}, "cacheClusterEnabled": False,
                      "cacheClusterStatus": "NOT_AVAILABLE", "tracingEnabled": False,
                      "methodSettings": {}}, "GetStage(from CreateDeployment)")
        stages = g.call("GetStages", client.get_stages, restApiId=aid, deploymentId=d["id"])
        if stages:
            g.eq([s["stageName"] for s in stages.get("item", [])], ["dev"], "GetStages(deploymentId).item")
        upd = g.call("UpdateDeployment", client.update_deployment, restApiId=aid, deploymentId=d["id"],
                     patchOperations=[{"op": "replace", "path": "/description", "value": "second"}])
        if upd:
            g.eq(upd.get("description"), "second", "UpdateDeployment.description")
        deps = g.call("GetDeployments", client.get_deployments, restApiId=aid)
        if deps:
            g.eq([x["id"] for x in deps["items"]], [d["id"]], "GetDeployments ids")

        # A real call through the gateway to the MOCK method.
        url = f"{GATEWAY}/{aid}/dev/pets"
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = r.read().decode()
                g.eq(r.status, 200, "gateway GET /pets status")
                g.eq(json.loads(body), {"ok": True}, "gateway GET /pets body")
                g.true(r.headers.get("x-amzn-RequestId"), "gateway answer carries x-amzn-RequestId")
        except Exception as e:  # noqa: BLE001
            g.fail(f"gateway GET {url}: {e}")
        try:
            urllib.request.urlopen(f"{GATEWAY}/{aid}/dev/nope", timeout=10)
            g.fail("gateway GET /nope: succeeded, want 403")
        except urllib.error.HTTPError as e:
            g.eq(e.code, 403, "gateway unknown route status")
            g.eq(json.loads(e.read() or b"{}"), {"message": "Missing Authentication Token"},
                 "gateway unknown route body")
        except Exception as e:  # noqa: BLE001
            g.fail(f"gateway GET /nope: {e}")

        g.raises("DeleteDeployment in use", "BadRequestException", client.delete_deployment,
                 restApiId=aid, deploymentId=d["id"],
                 message="Active stages pointing to this deployment must be moved or deleted")
        g.call("DeleteStage", client.delete_stage, restApiId=aid, stageName="dev")
        g.call("DeleteDeployment", client.delete_deployment, restApiId=aid, deploymentId=d["id"])
        g.raises("GetDeployment after delete", "NotFoundException", client.get_deployment,
                 restApiId=aid, deploymentId=d["id"], message="Invalid Deployment identifier specified")
    finally:
        cleanup_api(aid)


@group
def stage(g):
    api = new_api(g, "tf-stage")
    aid = api["id"]
    try:
        root = root_id(aid)
        mock_get(aid, root)
        d1 = client.create_deployment(restApiId=aid)
        d2 = client.create_deployment(restApiId=aid)
        client.create_documentation_part(restApiId=aid, location={"type": "API"}, properties='{"info":"x"}')
        dv = g.call("CreateDocumentationVersion", client.create_documentation_version, restApiId=aid,
                    documentationVersion="1.0")
        extra = {"documentationVersion": "1.0"} if dv else {}
        s = g.call("CreateStage", client.create_stage, restApiId=aid, stageName="prod",
                   deploymentId=d1["id"], description="production", variables={"a": "1", "b": "2"},
                   cacheClusterEnabled=False, tracingEnabled=False, tags={"k": "v"}, **extra)
        if not s:
            return
        got = strip(g.call("GetStage", client.get_stage, restApiId=aid, stageName="prod"))
        g.fields(got, {"stageName": "prod", "deploymentId": d1["id"], "description": "production",
                       "variables": {"a": "1", "b": "2"}, "cacheClusterEnabled": False,
                       "cacheClusterStatus": "NOT_AVAILABLE", "tracingEnabled": False,
                       "methodSettings": {}, "tags": {"k": "v"}}, "GetStage")
        if dv:
            g.eq(got.get("documentationVersion"), "1.0", "GetStage.documentationVersion")
        g.true(hasattr(got.get("createdDate"), "year") and hasattr(got.get("lastUpdatedDate"), "year"),
               "GetStage createdDate/lastUpdatedDate are timestamps")
        g.raises("CreateStage duplicate", "ConflictException", client.create_stage, restApiId=aid,
                 stageName="prod", deploymentId=d1["id"], message="Stage already exists")
        g.raises("CreateStage unknown deployment", "BadRequestException", client.create_stage,
                 restApiId=aid, stageName="other", deploymentId="zzzzzz")
        # Terraform's resourceStageUpdate ops.
        upd = g.call("UpdateStage", client.update_stage, restApiId=aid, stageName="prod", patchOperations=[
            {"op": "replace", "path": "/deploymentId", "value": d2["id"]},
            {"op": "replace", "path": "/description", "value": "prod2"},
            {"op": "replace", "path": "/cacheClusterEnabled", "value": "false"},
            {"op": "replace", "path": "/tracingEnabled", "value": "false"},
            {"op": "replace", "path": "/variables/a", "value": "10"},
            {"op": "remove", "path": "/variables/b"},
            {"op": "replace", "path": "/variables/c", "value": "3"},
            {"op": "replace", "path": "/accessLogSettings/destinationArn",
             "value": "arn:aws:logs:us-east-1:123456789012:log-group:access"},
            {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"},
        ])
        if upd:
            g.fields(upd, {"deploymentId": d2["id"], "description": "prod2",
                           "variables": {"a": "10", "c": "3"},
                           "accessLogSettings": {"destinationArn":
                                                 "arn:aws:logs:us-east-1:123456789012:log-group:access",
                                                 "format": "$context.requestId"}}, "UpdateStage")
        if dv:
            upd = g.call("UpdateStage clear /documentationVersion", client.update_stage, restApiId=aid,
                         stageName="prod",
                         patchOperations=[{"op": "replace", "path": "/documentationVersion", "value": ""}])
            if upd:
                g.absent(upd, "documentationVersion", "UpdateStage(documentationVersion cleared)")
        upd = g.call("UpdateStage clear /clientCertificateId", client.update_stage, restApiId=aid,
                     stageName="prod",
                     patchOperations=[{"op": "replace", "path": "/clientCertificateId", "value": ""}])
        if upd:
            g.absent(upd, "clientCertificateId", "UpdateStage(clientCertificateId cleared)")
        upd = g.call("UpdateStage remove accessLogSettings", client.update_stage, restApiId=aid,
                     stageName="prod", patchOperations=[{"op": "remove", "path": "/accessLogSettings"}])
        if upd:
            g.absent(upd, "accessLogSettings", "UpdateStage(accessLogSettings removed)")
        g.raises("UpdateStage cacheClusterEnabled true (refused)", "BadRequestException", client.update_stage,
                 restApiId=aid, stageName="prod",
                 patchOperations=[{"op": "replace", "path": "/cacheClusterEnabled", "value": "true"}])
        g.raises("UpdateStage bad path", "BadRequestException", client.update_stage, restApiId=aid,
                 stageName="prod", patchOperations=[{"op": "replace", "path": "/nope", "value": "1"}],
                 message="Invalid patch path")
        lst = g.call("GetStages", client.get_stages, restApiId=aid)
        if lst:
            g.eq([x["stageName"] for x in lst.get("item", [])], ["prod"], "GetStages.item")
        g.call("DeleteStage", client.delete_stage, restApiId=aid, stageName="prod")
        g.raises("GetStage after delete", "NotFoundException", client.get_stage, restApiId=aid,
                 stageName="prod", message="Invalid stage identifier specified")
    finally:
        cleanup_api(aid)


@group
def method_settings(g):
    api = new_api(g, "tf-ms")
    aid = api["id"]
    try:
        root = root_id(aid)
        pets = client.create_resource(restApiId=aid, parentId=root, pathPart="pets")
        mock_get(aid, pets["id"])
        client.create_deployment(restApiId=aid, stageName="prod")
        # Terraform's resourceMethodSettingsUpdate on create (every setting it knows, */*).
        ops = [
            {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"},
            {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"},
            {"op": "replace", "path": "/*/*/logging/dataTrace", "value": "true"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "100"},
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "50.000000"},
            {"op": "replace", "path": "/*/*/caching/enabled", "value": "false"},
            {"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": "300"},
            {"op": "replace", "path": "/*/*/caching/dataEncrypted", "value": "false"},
            {"op": "replace", "path": "/*/*/caching/requireAuthorizationForCacheControl", "value": "true"},
            {"op": "replace", "path": "/*/*/caching/unauthorizedCacheControlHeaderStrategy",
             "value": "SUCCEED_WITH_RESPONSE_HEADER"},
        ]
        upd = g.call("UpdateStage */* settings", client.update_stage, restApiId=aid, stageName="prod",
                     patchOperations=ops)
        want = {"metricsEnabled": True, "loggingLevel": "INFO", "dataTraceEnabled": True,
                "throttlingBurstLimit": 100, "throttlingRateLimit": 50.0, "cachingEnabled": False,
                "cacheTtlInSeconds": 300, "cacheDataEncrypted": False,
                "requireAuthorizationForCacheControl": True,
                "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER"}
        if upd:
            g.eq(upd.get("methodSettings", {}).get("*/*"), want, "UpdateStage.methodSettings['*/*']")
        got = strip(client.get_stage(restApiId=aid, stageName="prod"))
        g.eq(got.get("methodSettings", {}).get("*/*"), want, "GetStage.methodSettings['*/*']")

        # One method (Terraform method_path "pets/GET"): AWS fills every other setting with its default.
        upd = g.call("UpdateStage pets/GET", client.update_stage, restApiId=aid, stageName="prod",
                     patchOperations=[{"op": "replace", "path": "/pets/GET/metrics/enabled", "value": "true"},
                                      {"op": "replace", "path": "/pets/GET/throttling/burstLimit",
                                       "value": "-1"},
                                      {"op": "replace", "path": "/pets/GET/throttling/rateLimit",
                                       "value": "-1.000000"}])
        if upd:
            ms = upd.get("methodSettings", {})
            g.true("pets/GET" in ms, f"methodSettings key 'pets/GET' (keys {sorted(ms)})")
            one = ms.get("pets/GET", {})
            g.fields(one, {"metricsEnabled": True, "dataTraceEnabled": False,
                           "throttlingBurstLimit": -1, "throttlingRateLimit": -1.0,
                           "cachingEnabled": False, "cacheTtlInSeconds": 300, "cacheDataEncrypted": False,
                           "requireAuthorizationForCacheControl": True,
                           "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER"},
                     "methodSettings['pets/GET']")
        # Terraform's settings {} on create: throttling_* default -1, sent as "-1" and "-1.000000".
        client.create_stage(restApiId=aid, stageName="dflt", deploymentId=client.get_stage(
            restApiId=aid, stageName="prod")["deploymentId"])
        upd = g.call("UpdateStage */* Terraform defaults", client.update_stage, restApiId=aid, stageName="dflt",
                     patchOperations=[{"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "-1"},
                                      {"op": "replace", "path": "/*/*/throttling/rateLimit",
                                       "value": "-1.000000"}])
        if upd:
            one = upd.get("methodSettings", {}).get("*/*", {})
            g.fields(one, {"throttlingBurstLimit": -1, "throttlingRateLimit": -1.0, "metricsEnabled": False,
                           "dataTraceEnabled": False, "cachingEnabled": False, "cacheTtlInSeconds": 300,
                           "cacheDataEncrypted": False, "requireAuthorizationForCacheControl": True,
                           "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER"},
                     "methodSettings['*/*'] (Terraform defaults)")
        g.raises("UpdateStage caching/enabled true (refused)", "BadRequestException", client.update_stage,
                 restApiId=aid, stageName="prod",
                 patchOperations=[{"op": "replace", "path": "/*/*/caching/enabled", "value": "true"}])
        # Terraform's delete: remove /{method_path}.
        upd = g.call("UpdateStage remove pets/GET", client.update_stage, restApiId=aid, stageName="prod",
                     patchOperations=[{"op": "remove", "path": "/pets/GET"}])
        if upd:
            g.eq(sorted(upd.get("methodSettings", {})), ["*/*"], "methodSettings keys after remove")
        upd = g.call("UpdateStage remove */*", client.update_stage, restApiId=aid, stageName="prod",
                     patchOperations=[{"op": "remove", "path": "/*/*"}])
        if upd:
            g.eq(upd.get("methodSettings", {}), {}, "methodSettings after removing */*")
        g.raises("UpdateStage remove */* again", "BadRequestException", client.update_stage,
                 restApiId=aid, stageName="prod", patchOperations=[{"op": "remove", "path": "/*/*"}],
                 message="no method setting for this method")
    finally:
        cleanup_api(aid)


# --------------------------------------------------------------------------
# tags
# --------------------------------------------------------------------------

@group
def tags(g):
    api = new_api(g, "tf-tags", tags={"a": "1"})
    aid = api["id"]
    try:
        mock_get(aid, root_id(aid))
        client.create_deployment(restApiId=aid, stageName="s1")
        api_arn = f"arn:aws:apigateway:{REGION}::/restapis/{aid}"
        stage_arn = f"{api_arn}/stages/s1"
        t = g.call("GetTags api", client.get_tags, resourceArn=api_arn)
        if t:
            g.eq(t.get("tags"), {"a": "1"}, "GetTags(api)")
        g.call("TagResource api", client.tag_resource, resourceArn=api_arn, tags={"b": "2", "a": "9"})
        g.call("UntagResource api", client.untag_resource, resourceArn=api_arn, tagKeys=["b"])
        t = g.call("GetTags api 2", client.get_tags, resourceArn=api_arn)
        if t:
            g.eq(t.get("tags"), {"a": "9"}, "GetTags(api) after tag/untag")
        g.eq(client.get_rest_api(restApiId=aid).get("tags"), {"a": "9"}, "GetRestApi.tags after tag/untag")
        g.call("TagResource stage", client.tag_resource, resourceArn=stage_arn, tags={"s": "x"})
        t = g.call("GetTags stage", client.get_tags, resourceArn=stage_arn)
        if t:
            g.eq(t.get("tags"), {"s": "x"}, "GetTags(stage)")
        g.eq(client.get_stage(restApiId=aid, stageName="s1").get("tags"), {"s": "x"}, "GetStage.tags")
        g.call("UntagResource stage", client.untag_resource, resourceArn=stage_arn, tagKeys=["s"])
        t = g.call("GetTags stage 2", client.get_tags, resourceArn=stage_arn)
        if t:
            g.eq(t.get("tags", {}), {}, "GetTags(stage) after untag")
        # Terraform's tags on aws_api_gateway_api_key / _usage_plan: create with tags, update with
        # TagResource / UntagResource on arn:aws:apigateway:REGION::/apikeys/ID and /usageplans/ID.
        key = client.create_api_key(name=f"tf-tagkey-{RUN_ID}")
        plan = client.create_usage_plan(name=f"tf-tagplan-{RUN_ID}")
        try:
            for kind, rid, getter in (("apikeys", key["id"], lambda: client.get_api_key(apiKey=key["id"])),
                                      ("usageplans", plan["id"],
                                       lambda: client.get_usage_plan(usagePlanId=plan["id"]))):
                arn = f"arn:aws:apigateway:{REGION}::/{kind}/{rid}"
                g.call(f"TagResource {kind}", client.tag_resource, resourceArn=arn, tags={"x": "1", "y": "2"})
                g.call(f"UntagResource {kind}", client.untag_resource, resourceArn=arn, tagKeys=["y"])
                t = g.call(f"GetTags {kind}", client.get_tags, resourceArn=arn)
                if t:
                    g.eq(t.get("tags"), {"x": "1"}, f"GetTags({kind})")
                g.eq(getter().get("tags"), {"x": "1"}, f"Get {kind} .tags after TagResource")
        finally:
            client.delete_api_key(apiKey=key["id"])
            client.delete_usage_plan(usagePlanId=plan["id"])
        g.raises("GetTags unknown api", "NotFoundException", client.get_tags,
                 resourceArn=f"arn:aws:apigateway:{REGION}::/restapis/zzzzzzzzzz")
    finally:
        cleanup_api(aid)


# --------------------------------------------------------------------------
# aws_api_gateway_account
# --------------------------------------------------------------------------

@group
def account(g):
    acct = strip(g.call("GetAccount", client.get_account))
    if not acct:
        return
    g.true("throttleSettings" in acct and "burstLimit" in acct["throttleSettings"]
           and "rateLimit" in acct["throttleSettings"], f"GetAccount.throttleSettings ({acct.get('throttleSettings')})")
    g.true(isinstance(acct.get("features"), list), "GetAccount.features is a list")
    g.eq(acct.get("apiKeyVersion"), "4", "GetAccount.apiKeyVersion")
    role = "arn:aws:iam::123456789012:role/apigw-cw"
    upd = g.call("UpdateAccount", client.update_account,
                 patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])
    if upd:
        g.eq(upd.get("cloudwatchRoleArn"), role, "UpdateAccount.cloudwatchRoleArn")
    g.eq(client.get_account().get("cloudwatchRoleArn"), role, "GetAccount.cloudwatchRoleArn")
    # Terraform's delete (reset_on_delete) replaces with "".
    upd = g.call("UpdateAccount clear", client.update_account,
                 patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": ""}])
    if upd:
        g.absent(strip(upd), "cloudwatchRoleArn", "UpdateAccount(cleared)")
    g.raises("UpdateAccount bad path", "BadRequestException", client.update_account,
             patchOperations=[{"op": "replace", "path": "/nope", "value": "x"}])


# --------------------------------------------------------------------------
# aws_api_gateway_api_key, _usage_plan, _usage_plan_key
# --------------------------------------------------------------------------

@group
def api_key(g):
    value = f"tfkeyvalue{RUN_ID}abcdefghijkl"
    k = g.call("CreateApiKey", client.create_api_key, name=f"tf-key-{RUN_ID}", description="k",
               enabled=True, value=value, customerId="cust-1", tags={"t": "1"})
    if not k:
        return
    try:
        g.fields(strip(k), {"name": f"tf-key-{RUN_ID}", "description": "k", "enabled": True,
                            "value": value, "customerId": "cust-1", "tags": {"t": "1"}}, "CreateApiKey")
        got = strip(g.call("GetApiKey", client.get_api_key, apiKey=k["id"], includeValue=True))
        # apigw keeps only a hash of a key (docs/api-keys.md): its value is shown once, by
        # CreateApiKey, and includeValue finds none to return (AWS would return it).
        g.fields(got, {"id": k["id"], "name": f"tf-key-{RUN_ID}", "description": "k", "enabled": True,
                       "customerId": "cust-1", "tags": {"t": "1"}, "stageKeys": []},
                 "GetApiKey(includeValue)")
        g.absent(got, "value", "GetApiKey(includeValue): apigw holds no value to show")
        g.true(hasattr(got.get("createdDate"), "year") and hasattr(got.get("lastUpdatedDate"), "year"),
               "GetApiKey dates are timestamps")
        novalue = strip(client.get_api_key(apiKey=k["id"]))
        g.absent(novalue, "value", "GetApiKey(no includeValue)")
        g.raises("CreateApiKey duplicate value", "ConflictException", client.create_api_key,
                 name="dup", value=value, message="API Key already exists")
        upd = g.call("UpdateApiKey", client.update_api_key, apiKey=k["id"], patchOperations=[
            {"op": "replace", "path": "/name", "value": f"tf-key2-{RUN_ID}"},
            {"op": "replace", "path": "/description", "value": "k2"},
            {"op": "replace", "path": "/enabled", "value": "false"},
            {"op": "replace", "path": "/customerId", "value": "cust-2"}])
        if upd:
            g.fields(upd, {"name": f"tf-key2-{RUN_ID}", "description": "k2", "enabled": False,
                           "customerId": "cust-2"}, "UpdateApiKey")
        keys = g.call("GetApiKeys", client.get_api_keys, nameQuery=f"tf-key2-{RUN_ID}", includeValues=True)
        if keys:
            g.eq([x["id"] for x in keys["items"]], [k["id"]], "GetApiKeys(nameQuery, includeValues)")
        gen = g.call("CreateApiKey generated", client.create_api_key, name=f"tf-gen-{RUN_ID}")
        if gen:
            g.true(len(gen.get("value", "")) >= 20, "CreateApiKey generated value >= 20 chars")
            g.eq(gen.get("enabled"), False, "CreateApiKey default enabled (false)")
            client.delete_api_key(apiKey=gen["id"])
    finally:
        g.call("DeleteApiKey", client.delete_api_key, apiKey=k["id"])
    g.raises("GetApiKey after delete", "NotFoundException", client.get_api_key, apiKey=k["id"],
             message="Invalid API Key identifier specified")


@group
def usage_plan(g):
    api = new_api(g, "tf-plan")
    aid = api["id"]
    plan = None
    try:
        root = root_id(aid)
        pets = client.create_resource(restApiId=aid, parentId=root, pathPart="pets")
        mock_get(aid, pets["id"])
        client.create_deployment(restApiId=aid, stageName="prod")
        client.create_deployment(restApiId=aid, stageName="test")
        plan = g.call("CreateUsagePlan", client.create_usage_plan, name=f"tf-plan-{RUN_ID}",
                      description="p",
                      apiStages=[{"apiId": aid, "stage": "prod",
                                  "throttle": {"/pets/GET": {"burstLimit": 5, "rateLimit": 2.5}}}],
                      throttle={"burstLimit": 10, "rateLimit": 5.0},
                      quota={"limit": 1000, "offset": 0, "period": "DAY"}, tags={"p": "1"})
        if not plan:
            return
        pid = plan["id"]
        # CreateUsagePlan has no productCode: Terraform sets product_code with an add after creating.
        g.call("UpdateUsagePlan add /productCode", client.update_usage_plan, usagePlanId=pid,
               patchOperations=[{"op": "add", "path": "/productCode", "value": "prod-1"}])
        got = strip(g.call("GetUsagePlan", client.get_usage_plan, usagePlanId=pid))
        g.fields(got, {"id": pid, "name": f"tf-plan-{RUN_ID}", "description": "p", "productCode": "prod-1",
                       "apiStages": [{"apiId": aid, "stage": "prod",
                                      "throttle": {"/pets/GET": {"burstLimit": 5, "rateLimit": 2.5}}}],
                       "throttle": {"burstLimit": 10, "rateLimit": 5.0},
                       "quota": {"limit": 1000, "offset": 0, "period": "DAY"}, "tags": {"p": "1"}},
                 "GetUsagePlan")
        # Terraform's resourceUsagePlanUpdate ops.
        # Terraform's resourceUsagePlanUpdate ops, one concern per call so each difference shows alone.
        upd = g.call("UpdateUsagePlan name/description", client.update_usage_plan, usagePlanId=pid,
                     patchOperations=[{"op": "replace", "path": "/name", "value": f"tf-plan2-{RUN_ID}"},
                                      {"op": "replace", "path": "/description", "value": "p2"}])
        if upd:
            g.fields(upd, {"name": f"tf-plan2-{RUN_ID}", "description": "p2"}, "UpdateUsagePlan")
        upd = g.call("UpdateUsagePlan replace /productCode", client.update_usage_plan, usagePlanId=pid,
                     patchOperations=[{"op": "replace", "path": "/productCode", "value": "prod-2"}])
        if upd:
            g.eq(upd.get("productCode"), "prod-2", "UpdateUsagePlan.productCode")
        # api_stages change: remove every old stage, add the new ones, then their throttle
        # (path "/apiStages/{apiId}:{stage}/throttle/{path}/rateLimit" with Terraform's path "/pets/GET").
        upd = g.call("UpdateUsagePlan apiStages", client.update_usage_plan, usagePlanId=pid, patchOperations=[
            {"op": "remove", "path": "/apiStages", "value": f"{aid}:prod"},
            {"op": "add", "path": "/apiStages", "value": f"{aid}:test"},
        ])
        if upd:
            g.eq(upd.get("apiStages"), [{"apiId": aid, "stage": "test"}], "UpdateUsagePlan.apiStages")
        upd = g.call("UpdateUsagePlan apiStages throttle (Terraform path)", client.update_usage_plan,
                     usagePlanId=pid, patchOperations=[
                         {"op": "replace", "path": f"/apiStages/{aid}:test/throttle//pets/GET/rateLimit",
                          "value": "3"},
                         {"op": "replace", "path": f"/apiStages/{aid}:test/throttle//pets/GET/burstLimit",
                          "value": "6"}])
        if upd:
            g.eq(upd.get("apiStages"), [{"apiId": aid, "stage": "test",
                                         "throttle": {"/pets/GET": {"burstLimit": 6, "rateLimit": 3.0}}}],
                 "UpdateUsagePlan.apiStages throttle")
        upd = g.call("UpdateUsagePlan throttle/quota replace", client.update_usage_plan, usagePlanId=pid,
                     patchOperations=[
                         {"op": "replace", "path": "/throttle/rateLimit", "value": "7.5"},
                         {"op": "replace", "path": "/throttle/burstLimit", "value": "20"},
                         {"op": "replace", "path": "/quota/limit", "value": "500"},
                         {"op": "replace", "path": "/quota/offset", "value": "0"},
                         {"op": "replace", "path": "/quota/period", "value": "WEEK"}])
        if upd:
            g.fields(upd, {"throttle": {"burstLimit": 20, "rateLimit": 7.5},
                           "quota": {"limit": 500, "offset": 0, "period": "WEEK"}}, "UpdateUsagePlan")
        upd = g.call("UpdateUsagePlan remove /productCode", client.update_usage_plan, usagePlanId=pid,
                     patchOperations=[{"op": "remove", "path": "/productCode"}])
        if upd:
            g.absent(upd, "productCode", "UpdateUsagePlan(productCode removed)")
        upd = g.call("UpdateUsagePlan remove throttle/quota", client.update_usage_plan,
                     usagePlanId=pid, patchOperations=[{"op": "remove", "path": "/throttle"},
                                                       {"op": "remove", "path": "/quota"}])
        if upd:
            for k in ("throttle", "quota"):
                g.absent(upd, k, "UpdateUsagePlan(removed)")
        # Terraform adds throttle/quota back with op add.
        upd = g.call("UpdateUsagePlan add throttle/quota", client.update_usage_plan, usagePlanId=pid,
                     patchOperations=[{"op": "add", "path": "/throttle/rateLimit", "value": "1"},
                                      {"op": "add", "path": "/throttle/burstLimit", "value": "2"},
                                      {"op": "add", "path": "/quota/limit", "value": "100"},
                                      {"op": "add", "path": "/quota/offset", "value": "0"},
                                      {"op": "add", "path": "/quota/period", "value": "MONTH"}])
        if upd:
            g.fields(upd, {"throttle": {"burstLimit": 2, "rateLimit": 1.0},
                           "quota": {"limit": 100, "offset": 0, "period": "MONTH"}},
                     "UpdateUsagePlan(added back)")
        plans = g.call("GetUsagePlans keyId-less", client.get_usage_plans)
        if plans:
            g.true(any(p["id"] == pid for p in plans["items"]), "GetUsagePlans lists the plan")

        # aws_api_gateway_usage_plan_key
        key = client.create_api_key(name=f"tf-upk-{RUN_ID}", enabled=True)
        try:
            upk = g.call("CreateUsagePlanKey", client.create_usage_plan_key, usagePlanId=pid,
                         keyId=key["id"], keyType="API_KEY")
            if upk:
                # No "value": apigw keeps only a hash of the key (AWS would return it).
                g.fields(strip(upk), {"id": key["id"], "type": "API_KEY", "name": f"tf-upk-{RUN_ID}"},
                         "CreateUsagePlanKey")
                got = strip(g.call("GetUsagePlanKey", client.get_usage_plan_key, usagePlanId=pid,
                                   keyId=key["id"]))
                g.fields(got, {"id": key["id"], "type": "API_KEY", "name": f"tf-upk-{RUN_ID}"},
                         "GetUsagePlanKey")
                lst = g.call("GetUsagePlanKeys", client.get_usage_plan_keys, usagePlanId=pid)
                if lst:
                    g.eq([x["id"] for x in lst["items"]], [key["id"]], "GetUsagePlanKeys ids")
                byk = g.call("GetUsagePlans keyId", client.get_usage_plans, keyId=key["id"])
                if byk:
                    g.eq([x["id"] for x in byk["items"]], [pid], "GetUsagePlans(keyId)")
                g.raises("CreateUsagePlanKey duplicate", "ConflictException", client.create_usage_plan_key,
                         usagePlanId=pid, keyId=key["id"], keyType="API_KEY")
                g.call("DeleteUsagePlanKey", client.delete_usage_plan_key, usagePlanId=pid, keyId=key["id"])
                g.gone("GetUsagePlanKey after delete", client.get_usage_plan_key, usagePlanId=pid,
                       keyId=key["id"])
            g.raises("CreateUsagePlanKey unknown key", "NotFoundException", client.create_usage_plan_key,
                     usagePlanId=pid, keyId="zzzzzzzzzz", keyType="API_KEY")
        finally:
            client.delete_api_key(apiKey=key["id"])
        # Terraform's delete: remove every api stage, then DeleteUsagePlan.
        g.call("UpdateUsagePlan remove stages", client.update_usage_plan, usagePlanId=pid,
               patchOperations=[{"op": "remove", "path": "/apiStages", "value": f"{aid}:test"}])
        g.call("DeleteUsagePlan", client.delete_usage_plan, usagePlanId=pid)
        g.raises("GetUsagePlan after delete", "NotFoundException", client.get_usage_plan, usagePlanId=pid,
                 message="Invalid Usage Plan ID specified")
        plan = None
    finally:
        if plan:
            try:
                client.delete_usage_plan(usagePlanId=plan["id"])
            except Exception:  # noqa: BLE001
                pass
        cleanup_api(aid)


# --------------------------------------------------------------------------
# aws_api_gateway_documentation_part, _documentation_version
# --------------------------------------------------------------------------

@group
def documentation(g):
    api = new_api(g, "tf-doc")
    aid = api["id"]
    try:
        root = root_id(aid)
        mock_get(aid, root)
        p = g.call("CreateDocumentationPart", client.create_documentation_part, restApiId=aid,
                   location={"type": "METHOD", "path": "/", "method": "GET"},
                   properties='{"description":"get root"}')
        if p:
            got = strip(g.call("GetDocumentationPart", client.get_documentation_part, restApiId=aid,
                               documentationPartId=p["id"]))
            g.fields(got, {"id": p["id"], "properties": '{"description":"get root"}'}, "GetDocumentationPart")
            g.eq(got.get("location"), {"type": "METHOD", "path": "/", "method": "GET"},
                 "GetDocumentationPart.location")
            g.raises("CreateDocumentationPart duplicate location", "ConflictException",
                     client.create_documentation_part, restApiId=aid,
                     location={"type": "METHOD", "path": "/", "method": "GET"}, properties='{"a":1}')
            upd = g.call("UpdateDocumentationPart", client.update_documentation_part, restApiId=aid,
                         documentationPartId=p["id"], patchOperations=[
                             {"op": "replace", "path": "/properties", "value": '{"description":"changed"}'}])
            if upd:
                g.eq(upd.get("properties"), '{"description":"changed"}', "UpdateDocumentationPart.properties")
            parts = g.call("GetDocumentationParts", client.get_documentation_parts, restApiId=aid)
            if parts:
                g.eq([x["id"] for x in parts["items"]], [p["id"]], "GetDocumentationParts ids")
        api_part = g.call("CreateDocumentationPart API", client.create_documentation_part, restApiId=aid,
                          location={"type": "API"}, properties='{"info":{"description":"the api"}}')
        if api_part:
            g.eq(api_part.get("location"), {"type": "API"}, "CreateDocumentationPart(API).location")
        v = g.call("CreateDocumentationVersion", client.create_documentation_version, restApiId=aid,
                   documentationVersion="v1", description="first")
        if v:
            got = strip(g.call("GetDocumentationVersion", client.get_documentation_version, restApiId=aid,
                               documentationVersion="v1"))
            g.fields(got, {"version": "v1", "description": "first"}, "GetDocumentationVersion")
            g.true(hasattr(got.get("createdDate"), "year"), "GetDocumentationVersion.createdDate")
            g.raises("CreateDocumentationVersion duplicate", "ConflictException",
                     client.create_documentation_version, restApiId=aid, documentationVersion="v1")
            upd = g.call("UpdateDocumentationVersion", client.update_documentation_version, restApiId=aid,
                         documentationVersion="v1",
                         patchOperations=[{"op": "replace", "path": "/description", "value": "second"}])
            if upd:
                g.eq(upd.get("description"), "second", "UpdateDocumentationVersion.description")
            vs = g.call("GetDocumentationVersions", client.get_documentation_versions, restApiId=aid)
            if vs:
                g.eq([x["version"] for x in vs["items"]], ["v1"], "GetDocumentationVersions")
            g.call("DeleteDocumentationVersion", client.delete_documentation_version, restApiId=aid,
                   documentationVersion="v1")
            g.gone("GetDocumentationVersion after delete", client.get_documentation_version, restApiId=aid,
                   documentationVersion="v1")
        if p:
            g.call("DeleteDocumentationPart", client.delete_documentation_part, restApiId=aid,
                   documentationPartId=p["id"])
            g.gone("GetDocumentationPart after delete", client.get_documentation_part, restApiId=aid,
                   documentationPartId=p["id"])
    finally:
        cleanup_api(aid)


# --------------------------------------------------------------------------
# refused / not available resources and error parsing
# --------------------------------------------------------------------------

@group
def errors_and_refusals(g):
    g.raises("GetRestApi unknown", "NotFoundException", client.get_rest_api, restApiId="zzzzzzzzzz",
             message="Invalid API identifier specified")
    g.raises("DeleteRestApi unknown", "NotFoundException", client.delete_rest_api, restApiId="zzzzzzzzzz")
    api = new_api(g, "tf-err")
    aid = api["id"]
    try:
        g.raises("UpdateRestApi invalid path", "BadRequestException", client.update_rest_api, restApiId=aid,
                 patchOperations=[{"op": "replace", "path": "/nope", "value": "x"}],
                 message="Invalid patch path")
        # AWS's model-validation answer; moto records it as ValidationException (not in botocore's
        # apigateway model, so a plain ClientError), API Gateway v2 as BadRequestException: accept both.
        g.raises("CreateRestApi bad apiKeySource", ("ValidationException", "BadRequestException"),
                 client.create_rest_api, name=f"bad-{RUN_ID}", apiKeySource="NOPE",
                 message="1 validation error detected")
        g.raises("GetMethod unknown resource", "NotFoundException", client.get_method, restApiId=aid,
                 resourceId="zzzzzz", httpMethod="GET")
        g.raises("GetStage unknown", "NotFoundException", client.get_stage, restApiId=aid, stageName="nope")
        g.raises("GetUsagePlan unknown", "NotFoundException", client.get_usage_plan, usagePlanId="zzzzzz")
        g.raises("GetApiKey unknown", "NotFoundException", client.get_api_key, apiKey="zzzzzzzzzz")
        g.raises("GetModel unknown", "NotFoundException", client.get_model, restApiId=aid, modelName="Nope")
        g.raises("GetDeployment unknown", "NotFoundException", client.get_deployment, restApiId=aid,
                 deploymentId="zzzzzz")
        # Not available (docs/terraform.md): refused with a BadRequestException that says so.
        g.raises("CreateDomainName (not available)", "BadRequestException", client.create_domain_name,
                 domainName="api.example.com")
        g.raises("GenerateClientCertificate (not available)", "BadRequestException",
                 client.generate_client_certificate, description="c")
        # PutMethod with an authorizer type apigw refuses until issue 39.
        root = root_id(aid)
        g.raises("PutMethod AWS_IAM (refused)", "BadRequestException", client.put_method, restApiId=aid,
                 resourceId=root, httpMethod="GET", authorizationType="AWS_IAM")
    finally:
        cleanup_api(aid)


def main(argv):
    wanted = set(argv[1:])
    groups = [f for f in GROUPS if not wanted or f.__name__ in wanted]
    failed = 0
    for fn in groups:
        g = Group(fn.__name__)
        try:
            fn(g)
        except Exception as e:  # noqa: BLE001
            g.fail(f"aborted: {type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}")
        if g.failures:
            failed += 1
            print(f"FAIL {g.name} ({len(g.failures)} of {g.checks} checks)")
            for f in g.failures:
                print(f"     - {f}")
        else:
            print(f"PASS {g.name} ({g.checks} checks)")
        sys.stdout.flush()
    print(f"{len(groups) - failed} of {len(groups)} groups passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
