//! The real AWS CLI (installed into .venv by `scripts/setup --test`) drives the
//! control API unchanged: signing, wire format and errors as AWS's.

use std::path::PathBuf;
use std::process::Command;

use apigw_tests::TestServer;
use serde_json::Value;

fn aws_bin() -> PathBuf {
    std::env::var_os("APIGW_AWS_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/aws"))
}

struct Cli {
    endpoint: String,
    key_id: String,
    secret: String,
}

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Cli {
    async fn run(&self, args: &[&str]) -> Out {
        let bin = aws_bin();
        assert!(bin.exists(), "AWS CLI not found at {}; run scripts/setup --test", bin.display());
        let mut cmd = Command::new(bin);
        cmd.args(["apigateway", "--endpoint-url", &self.endpoint, "--region", "us-east-1", "--output", "json"])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", &self.key_id)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret)
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_PAGER", "")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN");
        let out = tokio::task::spawn_blocking(move || cmd.output().expect("aws runs")).await.unwrap();
        Out {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    async fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args).await;
        assert!(out.ok, "aws {args:?} failed: {}", out.stderr);
        if out.stdout.trim().is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("aws {args:?}: {e}: {}", out.stdout))
    }
}

async fn cli_for(s: &TestServer) -> Cli {
    s.setup_admin("admin").await;
    let key = apigw_server::admin_create_access_key(&s.db, "admin", "aws cli test").await.unwrap();
    Cli { endpoint: s.console.clone(), key_id: key.access_key_id, secret: key.secret_access_key }
}

#[tokio::test]
async fn aws_cli_builds_inspects_and_deletes_an_api() {
    let s = TestServer::start().await;
    let aws = cli_for(&s).await;

    let api = aws.json(&["create-rest-api", "--name", "pets", "--description", "from the CLI"]).await;
    let id = api["id"].as_str().unwrap().to_string();
    assert_eq!(api["name"], "pets");
    let root = api["rootResourceId"].as_str().unwrap().to_string();

    let pets = aws.json(&["create-resource", "--rest-api-id", &id, "--parent-id", &root, "--path-part", "pets"]).await;
    let pets_id = pets["id"].as_str().unwrap().to_string();
    let pet = aws.json(&["create-resource", "--rest-api-id", &id, "--parent-id", &pets_id, "--path-part", "{id}"]).await;
    let pet_id = pet["id"].as_str().unwrap().to_string();
    assert_eq!(pet["path"], "/pets/{id}");

    let m = aws
        .json(&[
            "put-method",
            "--rest-api-id",
            &id,
            "--resource-id",
            &pet_id,
            "--http-method",
            "GET",
            "--authorization-type",
            "NONE",
            "--api-key-required",
        ])
        .await;
    assert_eq!(m["apiKeyRequired"], true);
    let i = aws
        .json(&[
            "put-integration",
            "--rest-api-id",
            &id,
            "--resource-id",
            &pet_id,
            "--http-method",
            "GET",
            "--type",
            "HTTP_PROXY",
            "--integration-http-method",
            "GET",
            "--uri",
            "http://backend.internal/pets/{id}",
            "--timeout-in-millis",
            "3000",
        ])
        .await;
    assert_eq!(i["type"], "HTTP_PROXY");
    assert_eq!(i["timeoutInMillis"], 3000);

    let res = aws.json(&["get-resources", "--rest-api-id", &id, "--embed", "methods"]).await;
    let items = res["items"].as_array().expect("the CLI maps item to items");
    let found = items.iter().find(|r| r["path"] == "/pets/{id}").expect("resource listed");
    assert_eq!(found["resourceMethods"]["GET"]["methodIntegration"]["uri"], "http://backend.internal/pets/{id}");

    let got = aws.json(&["get-method", "--rest-api-id", &id, "--resource-id", &pet_id, "--http-method", "GET"]).await;
    assert_eq!(got["methodIntegration"]["httpMethod"], "GET");

    let apis = aws.json(&["get-rest-apis"]).await;
    assert!(apis["items"].as_array().unwrap().iter().any(|a| a["id"] == id.as_str()));

    let upd = aws.json(&["update-rest-api", "--rest-api-id", &id, "--patch-operations", "op=replace,path=/name,value=pets2"]).await;
    assert_eq!(upd["name"], "pets2");

    // Errors come back as AWS's, with our message.
    let bad = aws.run(&["create-resource", "--rest-api-id", &id, "--parent-id", &root, "--path-part", "a/b"]).await;
    assert!(!bad.ok);
    assert!(bad.stderr.contains("BadRequestException") && bad.stderr.contains("pathPart"), "{}", bad.stderr);
    let dup = aws.run(&["create-resource", "--rest-api-id", &id, "--parent-id", &root, "--path-part", "pets"]).await;
    assert!(dup.stderr.contains("ConflictException"), "{}", dup.stderr);

    aws.json(&["delete-rest-api", "--rest-api-id", &id]).await;
    let gone = aws.run(&["get-rest-api", "--rest-api-id", &id]).await;
    assert!(!gone.ok && gone.stderr.contains("NotFoundException"), "{}", gone.stderr);
    let apis = aws.json(&["get-rest-apis"]).await;
    assert_eq!(apis["items"].as_array().map(Vec::len).unwrap_or(0), 0);
}

#[tokio::test]
async fn aws_cli_with_a_wrong_secret_or_unknown_key_is_refused() {
    let s = TestServer::start().await;
    let mut aws = cli_for(&s).await;
    aws.secret = "not-the-secret-at-all-0000000000000000000".into();
    let out = aws.run(&["get-rest-apis"]).await;
    assert!(!out.ok);
    assert!(out.stderr.contains("InvalidSignatureException"), "{}", out.stderr);
    aws.key_id = "AKIAUNKNOWNKEY000000".into();
    let out = aws.run(&["get-rest-apis"]).await;
    assert!(out.stderr.contains("UnrecognizedClientException"), "{}", out.stderr);
}

/// A change made with the AWS CLI is in the audit log as its key's user,
/// with the secret value of a key it creates left out; its reads are not.
#[tokio::test]
async fn aws_cli_changes_are_in_the_audit_log() {
    let s = TestServer::start().await;
    let admin = s.setup_admin("admin").await;
    let key = apigw_server::admin_create_access_key(&s.db, "admin", "audited cli").await.unwrap();
    let aws = Cli { endpoint: s.console.clone(), key_id: key.access_key_id, secret: key.secret_access_key };
    let api = aws.json(&["create-rest-api", "--name", "from-cli"]).await;
    let secret_value = "cli-made-key-value-0123456789";
    aws.json(&["create-api-key", "--name", "k", "--value", secret_value, "--enabled"]).await;
    aws.json(&["get-rest-apis"]).await;

    let page: Value =
        admin.post(s.url("/api/audit_list")).json(&serde_json::json!({"filter": {}})).send().await.unwrap().json().await.unwrap();
    let entries = page["entries"].as_array().unwrap();
    let created = entries.iter().find(|e| e["action"] == "POST /restapis").unwrap_or_else(|| panic!("{page}"));
    assert_eq!(created["username"], "admin");
    assert_eq!(created["via"], "control-api");
    assert_eq!(created["status"], 201);
    assert_eq!(created["source"], "127.0.0.1");
    assert!(created["target"].as_str().unwrap().contains("name=from-cli"), "{created}");
    assert!(api["id"].is_string());
    let key_entry = entries.iter().find(|e| e["action"] == "POST /apikeys").unwrap_or_else(|| panic!("{page}"));
    assert!(key_entry["target"].as_str().unwrap().contains("value=<hidden>"), "{key_entry}");
    assert!(!page.to_string().contains(secret_value), "the key's value is not in the log");
    assert!(entries.iter().all(|e| e["action"] != "GET /restapis"), "reads are not changes");
}

#[tokio::test]
async fn aws_cli_deploys_and_the_invoke_url_answers() {
    let s = TestServer::start().await;
    let echo = apigw_tests::echo::Echo::start().await;
    let aws = cli_for(&s).await;
    let api = aws.json(&["create-rest-api", "--name", "deployed"]).await;
    let id = api["id"].as_str().unwrap().to_string();
    let root = api["rootResourceId"].as_str().unwrap().to_string();
    let pets = aws.json(&["create-resource", "--rest-api-id", &id, "--parent-id", &root, "--path-part", "pets"]).await;
    let pets_id = pets["id"].as_str().unwrap().to_string();
    aws.json(&["put-method", "--rest-api-id", &id, "--resource-id", &pets_id, "--http-method", "GET", "--authorization-type", "NONE"])
        .await;
    aws.json(&[
        "put-integration",
        "--rest-api-id",
        &id,
        "--resource-id",
        &pets_id,
        "--http-method",
        "GET",
        "--type",
        "HTTP_PROXY",
        "--integration-http-method",
        "GET",
        "--uri",
        "http://${stageVariables.backend}/from-cli",
    ])
    .await;
    let dep = aws
        .json(&[
            "create-deployment",
            "--rest-api-id",
            &id,
            "--stage-name",
            "prod",
            "--description",
            "first",
            "--variables",
            &format!("backend={}", echo.host()),
        ])
        .await;
    assert_eq!(dep["description"], "first");

    let res = reqwest::get(format!("{}/{id}/prod/pets?x=1", s.gateway)).await.unwrap();
    assert_eq!(res.status(), 200);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["path"], "/from-cli");
    assert_eq!(v["query"], "x=1");

    let stages = aws.json(&["get-stages", "--rest-api-id", &id]).await;
    assert_eq!(stages["item"][0]["stageName"], "prod");
    assert_eq!(stages["item"][0]["deploymentId"], dep["id"]);
    let deps = aws.json(&["get-deployments", "--rest-api-id", &id]).await;
    assert_eq!(deps["items"].as_array().unwrap().len(), 1);
    let st = aws
        .json(&[
            "update-stage",
            "--rest-api-id",
            &id,
            "--stage-name",
            "prod",
            "--patch-operations",
            "op=replace,path=/*/*/throttling/rateLimit,value=50",
        ])
        .await;
    assert_eq!(st["methodSettings"]["*/*"]["throttlingRateLimit"], 50.0);
    aws.json(&["delete-stage", "--rest-api-id", &id, "--stage-name", "prod"]).await;
    let res = reqwest::get(format!("{}/{id}/prod/pets", s.gateway)).await.unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn aws_cli_creates_a_key_and_a_plan_and_reads_usage() {
    let s = TestServer::start().await;
    let aws = cli_for(&s).await;

    // An API whose GET / needs a key, deployed to prod.
    let api = aws.json(&["create-rest-api", "--name", "metered"]).await;
    let id = api["id"].as_str().unwrap().to_string();
    let root = api["rootResourceId"].as_str().unwrap().to_string();
    aws.json(&[
        "put-method",
        "--rest-api-id",
        &id,
        "--resource-id",
        &root,
        "--http-method",
        "GET",
        "--authorization-type",
        "NONE",
        "--api-key-required",
    ])
    .await;
    aws.json(&[
        "put-integration",
        "--rest-api-id",
        &id,
        "--resource-id",
        &root,
        "--http-method",
        "GET",
        "--type",
        "MOCK",
        "--request-templates",
        r#"{"application/json": "{\"statusCode\": 200}"}"#,
    ])
    .await;
    aws.json(&["put-method-response", "--rest-api-id", &id, "--resource-id", &root, "--http-method", "GET", "--status-code", "200"]).await;
    aws.json(&[
        "put-integration-response",
        "--rest-api-id",
        &id,
        "--resource-id",
        &root,
        "--http-method",
        "GET",
        "--status-code",
        "200",
        "--selection-pattern",
        "",
        "--response-templates",
        r#"{"application/json": "{\"ok\": true}"}"#,
    ])
    .await;
    aws.json(&["create-deployment", "--rest-api-id", &id, "--stage-name", "prod"]).await;

    let key = aws.json(&["create-api-key", "--name", "partner", "--enabled"]).await;
    let key_id = key["id"].as_str().unwrap().to_string();
    let value = key["value"].as_str().unwrap().to_string();
    assert_eq!(key["enabled"], true);
    let plan = aws
        .json(&[
            "create-usage-plan",
            "--name",
            "Partners",
            "--throttle",
            "burstLimit=5,rateLimit=10",
            "--quota",
            "limit=2,period=DAY,offset=0",
            "--api-stages",
            &format!("apiId={id},stage=prod"),
        ])
        .await;
    let plan_id = plan["id"].as_str().unwrap().to_string();
    assert_eq!(plan["quota"]["limit"], 2);
    assert_eq!(plan["apiStages"][0]["stage"], "prod");
    let pk = aws.json(&["create-usage-plan-key", "--usage-plan-id", &plan_id, "--key-id", &key_id, "--key-type", "API_KEY"]).await;
    assert_eq!(pk["name"], "partner");

    let url = format!("{}/{id}/prod/", s.gateway);
    let c = reqwest::Client::new();
    assert_eq!(c.get(&url).send().await.unwrap().status(), 403);
    for want in [200, 200, 429] {
        assert_eq!(c.get(&url).header("x-api-key", &value).send().await.unwrap().status(), want);
    }

    let today = {
        let d = time::OffsetDateTime::now_utc().date();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    };
    let usage = aws.json(&["get-usage", "--usage-plan-id", &plan_id, "--start-date", &today, "--end-date", &today]).await;
    assert_eq!(usage["items"][&key_id], serde_json::json!([[2, 0]]), "{usage}");

    let keys = aws.json(&["get-api-keys"]).await;
    assert_eq!(keys["items"][0]["id"], key_id.as_str());
    assert!(keys["items"][0].get("value").is_none());
    let plans = aws.json(&["get-usage-plans", "--key-id", &key_id]).await;
    assert_eq!(plans["items"][0]["name"], "Partners");
    aws.json(&["update-api-key", "--api-key", &key_id, "--patch-operations", "op=replace,path=/enabled,value=false"]).await;
    assert_eq!(c.get(&url).header("x-api-key", &value).send().await.unwrap().status(), 403);
    aws.json(&["delete-usage-plan-key", "--usage-plan-id", &plan_id, "--key-id", &key_id]).await;
    aws.json(&["delete-usage-plan", "--usage-plan-id", &plan_id]).await;
    aws.json(&["delete-api-key", "--api-key", &key_id]).await;
    let out = aws.run(&["get-api-key", "--api-key", &key_id]).await;
    assert!(!out.ok && out.stderr.contains("NotFoundException"), "{}", out.stderr);
}

#[tokio::test]
async fn aws_cli_test_invoke_method() {
    let s = TestServer::start().await;
    let echo = apigw_tests::echo::Echo::start().await;
    let aws = cli_for(&s).await;
    let api = aws.json(&["create-rest-api", "--name", "tried"]).await;
    let id = api["id"].as_str().unwrap().to_string();
    let root = api["rootResourceId"].as_str().unwrap().to_string();
    let pets = aws.json(&["create-resource", "--rest-api-id", &id, "--parent-id", &root, "--path-part", "{name}"]).await;
    let rid = pets["id"].as_str().unwrap().to_string();
    aws.json(&["put-method", "--rest-api-id", &id, "--resource-id", &rid, "--http-method", "GET", "--authorization-type", "NONE"]).await;
    aws.json(&[
        "put-integration",
        "--rest-api-id",
        &id,
        "--resource-id",
        &rid,
        "--http-method",
        "GET",
        "--type",
        "HTTP_PROXY",
        "--integration-http-method",
        "GET",
        "--uri",
        &format!("http://{}/hello/{{name}}", echo.host()),
    ])
    .await;
    let out = aws
        .json(&[
            "test-invoke-method",
            "--rest-api-id",
            &id,
            "--resource-id",
            &rid,
            "--http-method",
            "GET",
            "--path-with-query-string",
            "/world?x=1",
            "--headers",
            "X-From=cli",
        ])
        .await;
    assert_eq!(out["status"], 200);
    let body: serde_json::Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
    assert_eq!((body["path"].as_str(), body["query"].as_str()), (Some("/hello/world"), Some("x=1")));
    assert_eq!(body["headers"]["x-from"], "cli");
    let log = out["log"].as_str().unwrap();
    assert!(log.starts_with("Execution log for request ") && log.contains("Method completed with status: 200"), "{log}");
    assert!(out["latency"].as_i64().is_some());
}

/// The operations beyond resources and methods, as the CLI sends them:
/// models, validators, gateway responses, documentation, account, tags,
/// OpenAPI import and export, key import and usage changes.
#[tokio::test]
async fn aws_cli_drives_models_validators_docs_openapi_and_usage() {
    let s = TestServer::start().await;
    let aws = cli_for(&s).await;
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        format!("fileb://{}", p.display())
    };

    let doc = r#"{"openapi": "3.0.1", "info": {"title": "cli import", "version": "1"},
        "x-amazon-apigateway-request-validators": {"body": {"validateRequestBody": true, "validateRequestParameters": false}},
        "paths": {"/ping": {"get": {"responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": "{\"pong\": true}"}}}}}}},
        "components": {"schemas": {"Pong": {"type": "object", "properties": {"pong": {"type": "boolean"}}}}}}"#;
    let api = aws.json(&["import-rest-api", "--body", &file("api.json", doc)]).await;
    let id = api["id"].as_str().unwrap().to_string();
    assert_eq!(api["name"], "cli import");
    let models = aws.json(&["get-models", "--rest-api-id", &id]).await;
    assert_eq!(models["items"][0]["name"], "Pong");
    let model = aws
        .json(&[
            "create-model",
            "--rest-api-id",
            &id,
            "--name",
            "Pet",
            "--content-type",
            "application/json",
            "--schema",
            r#"{"type":"object","properties":{"name":{"type":"string"}}}"#,
        ])
        .await;
    assert_eq!(model["name"], "Pet");
    let template = aws.json(&["get-model-template", "--rest-api-id", &id, "--model-name", "Pet"]).await;
    assert!(template["value"].as_str().unwrap().contains("\"name\" : \"$inputRoot.name\""), "{template}");
    let missing = aws.run(&["get-model", "--rest-api-id", &id, "--model-name", "Ghost"]).await;
    assert!(
        !missing.ok && missing.stderr.contains("NotFoundException") && missing.stderr.contains("Invalid model name specified: Ghost"),
        "{}",
        missing.stderr
    );

    let validators = aws.json(&["get-request-validators", "--rest-api-id", &id]).await;
    let vid = validators["items"][0]["id"].as_str().unwrap().to_string();
    let v = aws
        .json(&[
            "update-request-validator",
            "--rest-api-id",
            &id,
            "--request-validator-id",
            &vid,
            "--patch-operations",
            "op=replace,path=/validateRequestParameters,value=true",
        ])
        .await;
    assert_eq!(v["validateRequestParameters"], true);
    let gr = aws
        .json(&["put-gateway-response", "--rest-api-id", &id, "--response-type", "MISSING_AUTHENTICATION_TOKEN", "--status-code", "404"])
        .await;
    assert_eq!((gr["statusCode"].as_str(), gr["defaultResponse"].as_bool()), (Some("404"), Some(false)));
    let all = aws.json(&["get-gateway-responses", "--rest-api-id", &id]).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 21);
    let part = aws
        .json(&[
            "create-documentation-part",
            "--rest-api-id",
            &id,
            "--location",
            "type=API",
            "--properties",
            r#"{"description":"from the CLI"}"#,
        ])
        .await;
    assert_eq!(part["location"]["type"], "API");
    let version = aws.json(&["create-documentation-version", "--rest-api-id", &id, "--documentation-version", "v1"]).await;
    assert_eq!(version["version"], "v1");

    let account = aws.json(&["get-account"]).await;
    assert_eq!(account["throttleSettings"]["burstLimit"], 5000);
    let account = aws
        .json(&["update-account", "--patch-operations", "op=replace,path=/cloudwatchRoleArn,value=arn:aws:iam::123412341234:role/Logs"])
        .await;
    assert_eq!(account["cloudwatchRoleArn"], "arn:aws:iam::123412341234:role/Logs");
    aws.json(&["tag-resource", "--resource-arn", &format!("arn:aws:apigateway:us-east-1::/restapis/{id}"), "--tags", "team=pets"]).await;
    let tags = aws.json(&["get-tags", "--resource-arn", &format!("arn:aws:apigateway:us-east-1::/restapis/{id}")]).await;
    assert_eq!(tags["tags"]["team"], "pets");

    // Deploy, export to a file, and import the export into a second API.
    aws.json(&["create-deployment", "--rest-api-id", &id, "--stage-name", "prod"]).await;
    let out = dir.path().join("export.yaml");
    let meta = aws
        .json(&[
            "get-export",
            "--rest-api-id",
            &id,
            "--stage-name",
            "prod",
            "--export-type",
            "oas30",
            "--parameters",
            "extensions=apigateway",
            "--accepts",
            "application/yaml",
            out.to_str().unwrap(),
        ])
        .await;
    assert!(meta["contentDisposition"].as_str().unwrap().contains("oas30_1.yaml"), "{meta}");
    let exported = std::fs::read_to_string(&out).unwrap();
    assert!(exported.contains("x-amazon-apigateway-integration"), "{exported}");
    let copy = aws.json(&["import-rest-api", "--body", &format!("fileb://{}", out.display())]).await;
    let copy_id = copy["id"].as_str().unwrap().to_string();
    let over = aws.json(&["put-rest-api", "--rest-api-id", &copy_id, "--mode", "overwrite", "--body", &file("api2.json", doc)]).await;
    assert_eq!(over["name"], "cli import");

    // Keys from a CSV, and a key's remaining quota changed.
    let plan = aws
        .json(&["create-usage-plan", "--name", "cli", "--quota", "limit=10,period=DAY", "--api-stages", &format!("apiId={id},stage=prod")])
        .await;
    let plan_id = plan["id"].as_str().unwrap().to_string();
    let csv = format!("Name,Key,Enabled,UsagePlanIds\ncli-key,clikey1234abcdefghij0123456789,true,{plan_id}\n");
    let imported = aws.json(&["import-api-keys", "--format", "csv", "--body", &file("keys.csv", &csv)]).await;
    let kid = imported["ids"][0].as_str().unwrap().to_string();
    let usage = aws
        .json(&["update-usage", "--usage-plan-id", &plan_id, "--key-id", &kid, "--patch-operations", "op=replace,path=/remaining,value=25"])
        .await;
    assert_eq!(usage["items"][&kid][0][1], 25, "{usage}");
}

/// Issue 38's operations from the AWS CLI: templates, a validator on a
/// method, a gateway response, a template refused with its place, and the
/// deployed stage answering with all of them.
#[tokio::test]
async fn aws_cli_sets_templates_validators_and_gateway_responses() {
    let s = TestServer::start().await;
    let aws = cli_for(&s).await;
    let api = aws.json(&["create-rest-api", "--name", "mapped"]).await;
    let id = api["id"].as_str().unwrap().to_string();
    let root = api["rootResourceId"].as_str().unwrap().to_string();
    let m = ["--rest-api-id", id.as_str(), "--resource-id", root.as_str(), "--http-method", "POST"];
    let validator =
        aws.json(&["create-request-validator", "--rest-api-id", &id, "--name", "params", "--validate-request-parameters"]).await;
    let vid = validator["id"].as_str().unwrap().to_string();
    let mut put_method = vec!["put-method"];
    put_method.extend(m);
    put_method.extend([
        "--authorization-type",
        "NONE",
        "--request-validator-id",
        &vid,
        "--request-parameters",
        "method.request.querystring.name=true",
    ]);
    aws.json(&put_method).await;
    // A template that does not parse is refused with its line and column.
    let mut bad = vec!["put-integration"];
    bad.extend(m);
    bad.extend(["--type", "MOCK", "--request-templates", r#"{"application/json": "{\n#if($x)\n}"}"#]);
    let out = aws.run(&bad).await;
    assert!(!out.ok);
    assert!(out.stderr.contains("BadRequestException") && out.stderr.contains("line 2, column 1"), "{}", out.stderr);
    let mut put = vec!["put-integration"];
    put.extend(m);
    put.extend(["--type", "MOCK", "--request-templates", r#"{"application/json": "{\"statusCode\": 200}"}"#]);
    aws.json(&put).await;
    let mut resp = vec!["put-method-response"];
    resp.extend(m);
    resp.extend(["--status-code", "200"]);
    aws.json(&resp).await;
    let mut iresp = vec!["put-integration-response"];
    iresp.extend(m);
    iresp.extend([
        "--status-code",
        "200",
        "--selection-pattern",
        "",
        "--response-templates",
        r#"{"application/json": "{\"hello\": \"$input.params('name')\"}"}"#,
    ]);
    aws.json(&iresp).await;
    aws.json(&[
        "put-gateway-response",
        "--rest-api-id",
        &id,
        "--response-type",
        "BAD_REQUEST_PARAMETERS",
        "--status-code",
        "422",
        "--response-templates",
        r#"{"application/json": "{\"problem\": $context.error.messageString}"}"#,
    ])
    .await;
    aws.json(&["create-deployment", "--rest-api-id", &id, "--stage-name", "dev"]).await;

    let http = reqwest::Client::new();
    let res = http.post(format!("{}/{id}/dev/?name=ann", s.gateway)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), serde_json::json!({"hello": "ann"}));
    let res = http.post(format!("{}/{id}/dev/", s.gateway)).send().await.unwrap();
    assert_eq!(res.status(), 422, "the customised gateway response's status");
    assert_eq!(res.json::<Value>().await.unwrap(), serde_json::json!({"problem": "Missing required request parameters: [name]"}));
}
