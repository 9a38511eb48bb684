//! AWS's documented mapping-template examples (API Gateway developer guide:
//! the PetStore transformations, the `$input` and `$util` reference, the
//! `$context` example and the response-status override tutorial), rendered
//! with their documented output.

use super::tests::{ctx_with_body, render_ctx};
use super::*;

const PETS: &str = r#"[{"id":1,"type":"dog","price":249.99},{"id":2,"type":"cat","price":124.99},{"id":3,"type":"fish","price":0.99}]"#;

#[test]
fn petstore_integration_response() {
    let template = "#set($inputRoot = $input.path('$'))\n[\n#foreach($elem in $inputRoot)\n  {\n    \"description\" : \"Item $elem.id is a $elem.type.\",\n    \"askingPrice\" : $elem.price\n  }#if($foreach.hasNext),#end\n\n#end\n]\n";
    let expected = "[\n  {\n    \"description\" : \"Item 1 is a dog.\",\n    \"askingPrice\" : 249.99\n  },\n  {\n    \"description\" : \"Item 2 is a cat.\",\n    \"askingPrice\" : 124.99\n  },\n  {\n    \"description\" : \"Item 3 is a fish.\",\n    \"askingPrice\" : 0.99\n  }\n]\n";
    let out = render_ctx(template, &ctx_with_body(PETS));
    assert_eq!(out, expected);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[2]["askingPrice"], serde_json::json!(0.99));
}

#[test]
fn petstore_count_and_json() {
    let body = format!(r#"{{"pets":{PETS}}}"#);
    let c = ctx_with_body(&body);
    // "$input.path('$.pets').count() would return "3"" (and size(), which Velocity has).
    assert_eq!(render_ctx("$input.path('$.pets').count() $input.path('$.pets').size()", &c), "3 3");
    assert_eq!(render_ctx("$input.json('$.pets[0]')", &c), r#"{"id":1,"type":"dog","price":249.99}"#);
    assert_eq!(render_ctx("$input.json('$.pets[*].type')", &c), r#"["dog","cat","fish"]"#);
}

#[test]
fn input_example_request_and_response() {
    let template = "{\n    \"id\" : \"$input.params('id')\",\n    \"count\" : \"$input.path('$.things').size()\",\n    \"things\" : $input.json('$.things')\n}";
    let mut c = ctx_with_body(r#"{"things":{"1":{},"2":{},"3":{}}}"#);
    c.params.path.push(("id".into(), "abc".into()));
    let out = render_ctx(template, &c);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v, serde_json::json!({"id": "abc", "count": "3", "things": {"1": {}, "2": {}, "3": {}}}));
}

#[test]
fn input_json_mapping_template() {
    let mut c = ctx_with_body(r#"{"mykey":{"a":[1,2]},"other":true}"#);
    c.params.querystring.push(("name".into(), "me".into()));
    let out = render_ctx("{\n    \"name\" : \"$input.params('name')\",\n    \"body\" : $input.json('$') \n}", &c);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v, serde_json::json!({"name": "me", "body": {"mykey": {"a": [1, 2]}, "other": true}}));
    let out = render_ctx("{\n    \"name\" : \"$input.params('name')\",\n    \"body\" : $input.json('$.mykey')  \n}", &c);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v, serde_json::json!({"name": "me", "body": {"a": [1, 2]}}));
}

#[test]
fn all_params_example() {
    let template = r#"#set($allParams = $input.params())
{
  "params" : {
    #foreach($type in $allParams.keySet())
    #set($params = $allParams.get($type))
    "$type" : {
      #foreach($paramName in $params.keySet())
      "$paramName" : "$util.escapeJavaScript($params.get($paramName))"
      #if($foreach.hasNext),#end
      #end
    }
    #if($foreach.hasNext),#end
    #end
  }
}"#;
    let mut c = Context::default();
    c.params.path.push(("petId".into(), "7".into()));
    c.params.querystring.push(("q".into(), "it's \"x\"".into()));
    c.params.header.push(("Accept".into(), "*/*".into()));
    c.params.header.push(("Host".into(), "example.com".into()));
    let out = render_ctx(template, &c);
    // escapeJavaScript's \' is not JSON: AWS's own advice is to undo it.
    let v: serde_json::Value = serde_json::from_str(&out.replace("\\'", "'")).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(
        v,
        serde_json::json!({"params": {"path": {"petId": "7"}, "querystring": {"q": "it's \"x\""}, "header": {"Accept": "*/*", "Host": "example.com"}}})
    );
}

#[test]
fn context_variables_example() {
    let template = "{\n    \"stage\" : \"$context.stage\",\n    \"request_id\" : \"$context.requestId\",\n    \"api_id\" : \"$context.apiId\",\n    \"resource_path\" : \"$context.resourcePath\",\n    \"http_method\" : \"$context.httpMethod\",\n    \"source_ip\" : \"$context.identity.sourceIp\",\n    \"user-agent\" : \"$context.identity.userAgent\",\n    \"api_key\" : \"$context.identity.apiKey\"\n}";
    let c = Context {
        context: serde_json::json!({
            "stage": "prod", "requestId": "abcdefg-000-000-0000-abcdefg", "apiId": "abcd1234", "resourcePath": "/",
            "httpMethod": "GET", "identity": {"sourceIp": "192.0.2.1", "userAgent": "curl/7.84.0", "apiKey": "MyTestKey"}
        }),
        ..Default::default()
    };
    let v: serde_json::Value = serde_json::from_str(&render_ctx(template, &c)).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"stage": "prod", "request_id": "abcdefg-000-000-0000-abcdefg", "api_id": "abcd1234", "resource_path": "/",
            "http_method": "GET", "source_ip": "192.0.2.1", "user-agent": "curl/7.84.0", "api_key": "MyTestKey"})
    );
}

#[test]
fn parse_json_example() {
    let c = ctx_with_body(r#"{"errorMessage":"{\"key1\":\"var1\",\"key2\":{\"arr\":[1,2,3]}}"}"#);
    let template = "#set ($errorMessageObj = $util.parseJson($input.path('$.errorMessage')))\n{\n   \"errorMessageObjKey2ArrVal\" : $errorMessageObj.key2.arr[0]\n}\n";
    // `#set (` with a space is accepted, as Velocity accepts it.
    assert_eq!(render_ctx(template, &c), "{\n   \"errorMessageObjKey2ArrVal\" : 1\n}\n");
}

#[test]
fn escape_javascript_example() {
    let c = Context { stage_variables: vec![("data".into(), "it's".into())], ..Default::default() };
    assert_eq!(render_ctx(r#"$util.escapeJavaScript($stageVariables.data).replaceAll("\\'","'")"#, &c), "it's");
    assert_eq!(render_ctx(r#"$util.escapeJavaScript($stageVariables.data)"#, &c), r"it\'s");
}

#[test]
fn response_status_override_tutorial() {
    let template = "#set($inputRoot = $input.path('$'))\n$input.json(\"$\")\n#if($inputRoot.toString().contains(\"error\"))\n#set($context.responseOverride.status = 400)\n#end\n";
    let body = r#"{"errors":[{"key":"GetPetRequest.petId","message":"The value is out of range."}]}"#;
    let out = Template::parse(template).unwrap().render(&ctx_with_body(body), &Limits::default()).unwrap();
    assert_eq!(out.status_override, Some(400));
    assert_eq!(out.body, format!("{body}\n"));
    let out = Template::parse(template).unwrap().render(&ctx_with_body(r#"{"id":1}"#), &Limits::default()).unwrap();
    assert_eq!(out.status_override, None);
}

#[test]
fn request_override_tutorial() {
    let template = "#set($header1Override = \"foo\")\n#set($header3Value = \"$input.params('header1')$input.params('header2')\")\n$input.json(\"$\")\n#set($context.requestOverride.header.header3 = $header3Value)\n#set($context.requestOverride.header.header1 = $header1Override)\n";
    let mut c = ctx_with_body(r#"{"a":1}"#);
    c.params.header.push(("header1".into(), "header1Val".into()));
    c.params.header.push(("header2".into(), "header2Val".into()));
    let out = Template::parse(template).unwrap().render(&c, &Limits::default()).unwrap();
    assert_eq!(out.body, "{\"a\":1}\n");
    assert_eq!(
        out.request_overrides.header,
        vec![("header3".to_string(), "header1Valheader2Val".to_string()), ("header1".to_string(), "foo".to_string())]
    );
}

#[test]
fn map_and_list_printing() {
    // A map from $input.path prints as Java's LinkedHashMap, its JSON arrays as JSON.
    let c = ctx_with_body(r#"{"a":1,"b":[{"c":5}],"s":"x"}"#);
    assert_eq!(render_ctx("$input.path('$')", &c), r#"{a=1, b=[{"c":5}], s=x}"#);
    assert_eq!(render_ctx("$input.path('$.b')", &c), r#"[{"c":5}]"#);
    assert_eq!(render_ctx("$input.path('$.b')[0]", &c), "{c=5}");
    // Lists and maps built by the template print as Java's.
    assert_eq!(render_ctx("#set($l = ['x', 1])$l #set($m = {'k': ['y']})$m", &c), "[x, 1] {k=[y]}");
}
