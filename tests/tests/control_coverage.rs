//! Every operation of botocore's `apigateway` model is routed: sent signed,
//! with made-up identifiers, each answers in AWS's shape (a result, or an
//! error such as NotFoundException) with a request id, and never as
//! `UnknownOperationException`, a 405 or a console page. The list is
//! botocore's own (tests/corpus/botocore-apigateway-operations.tsv).

use apigw_tests::control::Api;
use apigw_tests::TestServer;
use reqwest::Method;

const OPERATIONS: &str = include_str!("../corpus/botocore-apigateway-operations.tsv");

#[tokio::test]
async fn every_botocore_operation_is_routed() {
    let s = TestServer::start().await;
    let a = Api::signed(&s).await;
    let mut seen = 0;
    for line in OPERATIONS.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (name, method, uri) = (cols[0], cols[1], cols[2]);
        // Every `{placeholder}` becomes an identifier that does not exist.
        let mut path = String::new();
        let mut rest = uri;
        while let Some(start) = rest.find('{') {
            path.push_str(&rest[..start]);
            let end = rest[start..].find('}').unwrap() + start;
            path.push_str(match &rest[start + 1..end] {
                "resource_arn" => "arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2Fnosuch",
                "http_method" => "GET",
                "status_code" => "200",
                "response_type" => "DEFAULT_4XX",
                "export_type" => "oas30",
                _ => "nosuch",
            });
            rest = &rest[end + 1..];
        }
        path.push_str(rest);
        let body = matches!(method, "POST" | "PUT" | "PATCH").then(|| serde_json::json!({}));
        let (status, kind, v) = a.call(Method::from_bytes(method.as_bytes()).unwrap(), &path, body).await;
        assert_ne!(kind.as_deref(), Some("UnknownOperationException"), "{name}: {method} {path} is not routed: {v}");
        assert!(status != 405 && status != 303, "{name}: {method} {path} answered {status}");
        assert!(status < 500, "{name}: {method} {path} failed on the server: {v}");
        if status >= 400 {
            assert!(kind.is_some() && v["message"].is_string(), "{name}: {method} {path}: {status} without AWS's error shape: {v}");
        }
        seen += 1;
    }
    assert_eq!(seen, 124, "botocore's apigateway model has 124 operations");
}
