//! Unit tests of each construct: directives, references, expressions,
//! methods, `$input`/`$util`/`$context`, limits and errors.

use super::*;

pub(super) fn ctx_with_body(body: &str) -> Context {
    Context { body: body.into(), ..Default::default() }
}

pub(super) fn render_ctx(src: &str, ctx: &Context) -> String {
    let t = Template::parse(src).unwrap_or_else(|e| panic!("parse {src:?}: {e}"));
    t.render(ctx, &Limits::default()).unwrap_or_else(|e| panic!("render {src:?}: {e}")).body
}

pub(super) fn r(src: &str) -> String {
    render_ctx(src, &Context::default())
}

fn parse_err(src: &str) -> String {
    Template::parse(src).map(|_| ()).expect_err(src).to_string()
}

fn render_err(src: &str, ctx: &Context, limits: &Limits) -> RenderError {
    Template::parse(src).unwrap().render(ctx, limits).expect_err(src)
}

#[test]
fn text_and_comments() {
    assert_eq!(r("plain text"), "plain text");
    assert_eq!(r("a ## comment\nb"), "a b");
    assert_eq!(r("a #* block\ncomment *#b"), "a b");
    assert_eq!(r("#[[ $not #if( ]]#"), " $not #if( ");
    assert_eq!(r("\\$x \\#if \\\\#if(true)y#end"), "\\$x #if \\y");
    // Velocity's escapes: half the backslashes, then the reference as written
    // (odd count) or its value (even); an undefined one keeps them all.
    assert_eq!(r("#set($x = 'v')\\$x|\\\\$x|\\\\\\$x|\\$!x|\\${x}"), "$x|\\v|\\$x|$!x|${x}");
    assert_eq!(r("\\$nope \\\\$nope \\\\"), "\\$nope \\\\$nope \\\\");
    assert_eq!(r("cost: $5, #fff, # x, $"), "cost: $5, #fff, # x, $");
    assert_eq!(r("a\\b"), "a\\b");
}

#[test]
fn references() {
    assert_eq!(r("$missing|$!missing|${missing}|$!{missing}"), "$missing||${missing}|");
    assert_eq!(r("#set($x = 'v')$x|$!x|${x}|$!{x}|${x}y"), "v|v|v|v|vy");
    assert_eq!(r("#set($m = {'a': {'b': 'c'}})$m.a.b $m.a.missing $m['a']['b'] $m[\"a\"].b"), "c $m.a.missing c c");
    assert_eq!(r("#set($x = 'v')$x.  $x.5 $x."), "v.  v.5 v.");
    assert_eq!(r("#set($l = [1, 2, 3])$l[0] $l[-1] $l[9]"), "1 3 $l[9]");
    assert_eq!(r("#set($x = 'a')\"$x\""), "\"a\"");
    // A malformed index or call in text leaves the rest as text.
    assert_eq!(r("#set($x = 'a')$x[b] $x.c(]"), "a[b] a.c(]");
    let limits = Limits { quiet_nulls: true, ..Default::default() };
    let t = Template::parse("[$missing][$a.b]").unwrap();
    assert_eq!(t.render(&Context::default(), &limits).unwrap().body, "[][]");
}

#[test]
fn set_and_whitespace() {
    assert_eq!(r("#set($a = 1)\n$a"), "1");
    assert_eq!(r("x\n    #set($a = 1)\n$a"), "x\n1");
    assert_eq!(r("x #set($a = 1)$a"), "x 1");
    assert_eq!(r("#set( $a = \"b\" )$a"), "b");
    // A null value leaves the variable as it was.
    assert_eq!(r("#set($a = 1)#set($a = $nothing)$a"), "1");
    assert_eq!(r("#set($m = {})#set($m.k = 'v')#set($m['j'] = 2)$m"), "{k=v, j=2}");
    assert_eq!(r("#set($l = [1, 2])#set($l[1] = 9)$l"), "[1, 9]");
    assert_eq!(r("#if(true)\nyes\n#end\nafter"), "yes\nafter");
    assert_eq!(r("#if(false)\nno\n#else\nyes\n#end\n"), "yes\n");
}

#[test]
fn conditionals() {
    assert_eq!(r("#if($x)a#{else}b#end"), "b");
    assert_eq!(r("#set($x = 2)#if($x == 1)one#elseif($x == 2)two#{else}other#end"), "two");
    assert_eq!(r("#if('')empty string is true#end"), "empty string is true");
    assert_eq!(r("#if(0)zero is true#end"), "zero is true");
    assert_eq!(r("#if(!$missing)not#end"), "not");
    assert_eq!(r("#if(1 < 2 && 2 <= 2 and 3 > 2 || false)y#end"), "y");
    assert_eq!(r("#if(1 lt 2 and 2 le 2 and 3 gt 2 and 3 ge 3 and 1 eq 1 and 1 ne 2 and not false)y#end"), "y");
    assert_eq!(r("#if('a' == 'a' && 'a' != 'b' && 1 == 1.0 && '1' == 1)y#end"), "y");
    assert_eq!(r("#if($missing == $other)nulls equal#end"), "nulls equal");
    assert_eq!(r("#if('a' < 'b')y#{else}n#end"), "n");
    assert_eq!(r("#if((1 + 2) * 3 == 9)y#end"), "y");
}

#[test]
fn foreach() {
    assert_eq!(r("#foreach($i in [1..3])$i#if($foreach.hasNext),#end#end"), "1,2,3");
    assert_eq!(r("#foreach($i in [3..1])$i#end"), "321");
    assert_eq!(r("#set($n = 3)#foreach($i in [1..$n])$i#end #foreach($i in [$n..'1'])$i#end #foreach($i in [1..'x'])$i#end"), "123 321 ");
    assert_eq!(
        r("#foreach($i in ['a', 'b'])$foreach.index$foreach.count$velocityCount$foreach.first$foreach.last #end"),
        "011truefalse 122falsetrue "
    );
    assert_eq!(r("#set($m = {'a': 1, 'b': 2})#foreach($k in $m.keySet())$k=$m.get($k);#end"), "a=1;b=2;");
    assert_eq!(r("#set($m = {'a': 1, 'b': 2})#foreach($v in $m)$v#end"), "12");
    assert_eq!(r("#set($m = {'a': 1})#foreach($e in $m.entrySet())$e.key:$e.value $e.getKey()#end"), "a:1 a");
    assert_eq!(r("#foreach($i in [1..5])#if($i == 3)#break#end$i#end"), "12");
    assert_eq!(r("#foreach($i in [1, 2])#foreach($j in [1, 2])$foreach.parent.count$j #end#end"), "11 12 21 22 ");
    assert_eq!(r("#set($i = 'kept')#foreach($i in [1])#end$i"), "kept");
    assert_eq!(r("#foreach($i in $missing)x#end#foreach($i in 'str')x#end"), "");
    assert_eq!(r("a#stop b"), "a");
    assert_eq!(r("#foreach($i in [1..3])$i#if($i == 2)#stop#end#end after"), "12");
    // Changing the list inside the loop does not change the iterations.
    assert_eq!(r("#set($l = [1])#foreach($i in $l)#set($d = $l.add($i))#end$l.size()"), "2");
}

#[test]
fn expressions() {
    assert_eq!(r("#set($a = 7)#set($b = 2)${a}+$b=#set($c = $a + $b)$c $a - $b = #set($c = $a - $b)$c"), "7+2=9 7 - 2 = 5");
    assert_eq!(r("#set($x = 7 / 2)$x #set($x = 7 % 3)$x #set($x = 7.0 / 2)$x #set($x = -3 * 2)$x"), "3 1 3.5 -6");
    assert_eq!(r("#set($x = 1 / 0)$x #set($y = 1 % 0)$y"), "$x $y");
    assert_eq!(r("#set($x = 9223372036854775807 + 1)$x"), "9.223372036854776E18");
    assert_eq!(r("#set($x = 0.1 + 0.2)$x #set($y = 100.0)$y #set($z = 10000000.0)$z $y.intValue()"), "0.30000000000000004 100.0 1.0E7 100");
    assert_eq!(r("#set($x = 'a' + 1 + 2)$x #set($y = 1 + 2 + 'a')$y"), "a12 3a");
    assert_eq!(r("#set($x = \"a$missing\")$x"), "a$missing");
    assert_eq!(r("#set($n = 'w')#set($x = \"hi $n #if(true)!#end\")$x"), "hi w !");
    assert_eq!(r("#set($x = 'no $interp')$x"), "no $interp");
    assert_eq!(r("#set($x = \"say \"\"hi\"\"\")$x"), "say \"hi\"");
    assert_eq!(r("#set($x = [1, 'two', [3], {'k': true}, null])$x"), "[1, two, [3], {k=true}, null]");
    assert_eq!(r("#set($x = !true)$x #set($y = not false)$y"), "false true");
}

#[test]
fn string_methods() {
    let s = "#set($s = ' Hello, World ')";
    let t = |e: &str| r(&format!("{s}{e}"));
    assert_eq!(t("$s.trim().length() $s.size() $s.isEmpty() $s.empty"), "12 14 false false");
    assert_eq!(t("$s.contains('World') $s.startsWith(' H') $s.endsWith('d ') $s.startsWith('H', 1)"), "true true true true");
    assert_eq!(t("$s.indexOf('o') $s.indexOf('o', 6) $s.lastIndexOf('o') $s.indexOf('zz') $s.lastIndexOf('o', 5)"), "5 9 9 -1 5");
    assert_eq!(t("$s.substring(1, 6) $s.trim().substring(7) $s.charAt(1)"), "Hello World H");
    assert_eq!(t("$s.toLowerCase()$s.toUpperCase()"), " hello, world  HELLO, WORLD ");
    assert_eq!(
        t("$s.replace('l', 'L') $s.replaceAll('[aeiou]', '_') $s.replaceFirst('l+', '($0)')"),
        " HeLLo, WorLd   H_ll_, W_rld   He(ll)o, World "
    );
    assert_eq!(
        t("$s.trim().split(', ') $s.trim().split(',').size() $s.matches('.*World.*') $s.matches('World')"),
        "[Hello, World] 2 true false"
    );
    assert_eq!(
        t("$s.equals(' Hello, World ') $s.equalsIgnoreCase(' HELLO, world ') $s.concat('!') $s.toString()"),
        "true true  Hello, World !  Hello, World "
    );
    assert_eq!(
        r("#set($p = 'a,b,,c,,')$p.split(',') $p.split(',', -1).size() $p.split(',', 2) $p.split('')"),
        "[a, b, , c] 6 [a, b,,c,,] [a, ,, b, ,, ,, c, ,, ,]"
    );
    assert_eq!(r("$util.escapeJavaScript(\"it's\").replaceAll(\"\\\\'\", \"'\")"), "it's");
    assert_eq!(r("#set($s = 'x1y22')$s.replaceAll('(\\d+)', '<$1>') $s.replaceAll('\\d', '\\$')"), "x<1>y<22> x$y$$");
    // Java indexes count UTF-16 units.
    assert_eq!(r("#set($s = 'é😀x')$s.length() $s.indexOf('x') $s.substring(1, 3) $s.charAt(3)"), "4 3 😀 x");
    assert_eq!(r("#set($s = 'abc')$s.hashCode() $s.compareTo('abd')"), "96354 -1");
}

#[test]
fn string_method_errors() {
    let c = Context::default();
    let l = Limits::default();
    let cases = [
        ("'abc'", "substring(2, 1)"),
        ("'abc'", "substring(-1)"),
        ("'abc'", "substring(4)"),
        ("'abc'", "charAt(3)"),
        ("'abc'", "charAt(-1)"),
        ("'a'", "replaceAll('(', 'x')"),
        ("'a'", "replaceAll('a', '$')"),
        ("'a'", "matches('(?=a)')"),
        ("'a'", "substring('x')"),
    ];
    for (lit, call) in cases {
        let src = format!("#set($v = {lit})$v.{call}");
        match render_err(&src, &c, &l) {
            RenderError::At { line: 1, .. } => {}
            other => panic!("{src}: {other:?}"),
        }
    }
    // A method that does not exist is null, printed as written.
    assert_eq!(r("#set($v = 'a')$v.noSuch() $!v.noSuch()"), "$v.noSuch() ");
}

#[test]
fn list_and_map_methods() {
    assert_eq!(
        r("#set($l = [])$l.add('a') $l.add(0, 'z')$l $l.size() $l.get(1) $l.contains('a') $l.indexOf('a') $l.isEmpty()"),
        "true [z, a] 2 a true 1 false"
    );
    assert_eq!(
        r("#set($l = [1, 2, 3])$l.remove(0) $l.set(0, 9) $l $l.subList(0, 1) #set($d = $l.addAll([4]))$l $l.equals([9, 3, 4])"),
        "1 2 [9, 3] [9] [9, 3, 4] true"
    );
    assert_eq!(
        r("#set($m = {})$m.put('a', 1)|$!m.put('a', 2)|$m.get('a') $m.containsKey('a') $m.containsKey('b') $m.size() $m.isEmpty()"),
        "$m.put('a', 1)|1|2 true false 1 false"
    );
    assert_eq!(
        r("#set($m = {'a': 1, 'b': 2})$m.keySet() $m.values() $m.entrySet().size() $m.remove('a') $m $m.getOrDefault('z', 0)"),
        "[a, b] [1, 2] 2 1 {b=2} 0"
    );
    assert_eq!(r("#set($m = {'a': 1})#set($n = $m)$n.put('b', 2)$m"), "$n.put('b', 2){a=1, b=2}");
    let l = Limits::default();
    assert!(matches!(render_err("#set($l = [1])$l.get(5)", &Context::default(), &l), RenderError::At { .. }));
}

#[test]
fn input_variables() {
    let mut c = ctx_with_body(r#"{"name":"Bob","age":31,"tags":["a","b"],"nested":{"x":1.5,"y":[{"z":true}]},"n":null}"#);
    c.params.path.push(("id".into(), "p1".into()));
    c.params.querystring.push(("id".into(), "q1".into()));
    c.params.querystring.push(("q".into(), "query".into()));
    c.params.header.push(("X-Api".into(), "h1".into()));
    assert_eq!(
        render_ctx("$input.json('$.name') $input.json('$.age') $input.json('$.tags') $input.json('$.nested')", &c),
        r#""Bob" 31 ["a","b"] {"x":1.5,"y":[{"z":true}]}"#
    );
    assert_eq!(render_ctx("[$input.json('$.missing')] $input.json('$.n')", &c), "[] null");
    assert_eq!(
        render_ctx("$input.path('$.name') $input.path('$.age') $input.path('$.tags') $input.path('$.nested')", &c),
        r#"Bob 31 ["a","b"] {x=1.5, y=[{"z":true}]}"#
    );
    assert_eq!(
        render_ctx("$input.path('$.tags').size() $input.path('$.tags')[1] $input.path('$').nested.y[0].z $input.path('$.tags').get(0)", &c),
        "2 b true a"
    );
    assert_eq!(render_ctx("#foreach($t in $input.path('$.tags'))$t;#end", &c), "a;b;");
    assert_eq!(render_ctx("$input.params('id') $input.params('q') $input.params('x-api') [$input.params('none')]", &c), "p1 query h1 []");
    assert_eq!(
        render_ctx("$input.params().header.get('X-Api') $input.params().querystring $input.params().path.id", &c),
        "h1 {id=q1, q=query} p1"
    );
    assert_eq!(render_ctx("$input.params()", &c), "{path={id=p1}, querystring={id=q1, q=query}, header={X-Api=h1}}");
    assert!(render_ctx("$input.body", &c).starts_with("{\"name\":\"Bob\""));
    assert_eq!(render_ctx("$input.path('$..z') $input.json('$.tags[*]')", &c), "[true] [\"a\",\"b\"]");
    assert_eq!(render_ctx("$input.json('$')", &ctx_with_body("")), "{}");
    assert_eq!(render_ctx("$input.json('$')", &ctx_with_body(" [1, 2.50, \"x\"] ")), "[1,2.5,\"x\"]");
    let e = render_err("$input.path('$.a')", &ctx_with_body("not json"), &Limits::default());
    assert!(e.to_string().contains("not valid JSON"), "{e}");
    // $input.body is the raw text, whatever it is.
    assert_eq!(render_ctx("$input.body", &ctx_with_body("not json")), "not json");
}

#[test]
fn util_functions() {
    assert_eq!(r(r#"#set($s = 'He didn''t say, "Stop!" / \ ')$util.escapeJavaScript($s)"#), r#"He didn\'t say, \"Stop!\" \/ \\ "#);
    assert_eq!(r("#set($s = \"tab\ttab\")$util.escapeJavaScript($s)"), "tab\\ttab");
    assert_eq!(r("$util.escapeJavaScript('é€😀')"), "\\u00E9\\u20AC\\uD83D\\uDE00");
    assert_eq!(r("$util.urlEncode('a b&c=d/é*~')"), "a+b%26c%3Dd%2F%C3%A9*%7E");
    assert_eq!(r("$util.urlDecode('a+b%26c%3Dd%2F%C3%A9')"), "a b&c=d/é");
    assert!(matches!(render_err("$util.urlDecode('%zz')", &Context::default(), &Limits::default()), RenderError::At { .. }));
    assert_eq!(r("$util.base64Encode('hello') $util.base64Encode('hi') $util.base64Encode('') $util.base64Decode('aGVsbG8=') $util.base64Decode('aGk')"), "aGVsbG8= aGk=  hello hi");
    assert_eq!(r("#set($o = $util.parseJson('{\"a\":{\"b\":[1,2,3]}}'))$o.a.b[0] $o.a.b.size() $o"), "1 3 {a={b=[1,2,3]}}");
    assert_eq!(r("$util.parseJson('\"s\"') $util.parseJson('12')"), "s 12");
    assert!(matches!(render_err("$util.parseJson('{')", &Context::default(), &Limits::default()), RenderError::At { .. }));
    assert_eq!(r("$util.escapeJavaScript($missing)|$!util.escapeJavaScript($missing)"), "$util.escapeJavaScript($missing)|");
}

#[test]
fn context_and_overrides() {
    let c = Context {
        context: serde_json::json!({"requestId": "r-1", "stage": "prod", "identity": {"sourceIp": "192.0.2.1", "apiKey": "k"}, "requestTimeEpoch": 1700000000000_i64}),
        stage_variables: vec![("env".into(), "dev".into())],
        ..Default::default()
    };
    assert_eq!(
        render_ctx("$context.requestId $context.stage $context.identity.sourceIp $context.identity.apiKey $context.requestTimeEpoch", &c),
        "r-1 prod 192.0.2.1 k 1700000000000"
    );
    assert_eq!(
        render_ctx("$stageVariables.env $stageVariables['env'] ${stageVariables['env']} $stageVariables.none", &c),
        "dev dev dev $stageVariables.none"
    );
    let t = Template::parse(
        "#set($context.responseOverride.status = 400)\n#set($context.responseOverride.header.X-Err = \"bad $context.requestId\")\n\
         #set($context.requestOverride.header.h3 = 'v3')#set($context.requestOverride.querystring.q = 1)body",
    )
    .unwrap();
    let out = t.render(&c, &Limits::default()).unwrap();
    assert_eq!(out.body, "body");
    assert_eq!(out.status_override, Some(400));
    assert_eq!(out.header_overrides, vec![("X-Err".to_string(), "bad r-1".to_string())]);
    assert_eq!(out.request_overrides.header, vec![("h3".to_string(), "v3".to_string())]);
    assert_eq!(out.request_overrides.querystring, vec![("q".to_string(), "1".to_string())]);
    let out =
        Template::parse("#set($context.responseOverride.status = '201')").unwrap().render(&Context::default(), &Limits::default()).unwrap();
    assert_eq!(out.status_override, Some(201));
    assert!(matches!(render_err("#set($context.responseOverride.status = 'abc')", &c, &Limits::default()), RenderError::Status(_)));
    assert!(matches!(render_err("#set($context.responseOverride.status = 99)", &c, &Limits::default()), RenderError::Status(_)));
    let out = Template::parse("no overrides").unwrap().render(&c, &Limits::default()).unwrap();
    assert_eq!(out.status_override, None);
    assert!(out.header_overrides.is_empty());
}

#[test]
fn parse_errors() {
    assert_eq!(parse_err("a\n\n  #if($x)never closed"), "line 3, column 3: #if without #end");
    assert_eq!(parse_err("#foreach($i in [1])"), "line 1, column 1: #foreach without #end");
    assert_eq!(parse_err("x #end"), "line 1, column 3: #end without #if or #foreach");
    assert_eq!(parse_err("#else"), "line 1, column 1: #else without #if");
    assert!(parse_err("#if(true)#else#else#end").contains("a second #else"));
    assert!(parse_err("#set($x 1)").contains("expected = in #set"));
    assert!(parse_err("#set(x = 1)").contains("#set needs a reference"));
    assert!(parse_err("#set($x.y() = 1)").contains("method call"));
    assert!(parse_err("#if true").contains("parentheses"));
    assert!(parse_err("#if($a == )#end").contains("expected an expression"));
    assert!(parse_err("#set($x = 'abc)").contains("closing quote"));
    assert!(parse_err("#* never").contains("#* comment without *#"));
    assert!(parse_err("#[[ never").contains("]]#"));
    assert!(parse_err("#macro(m)#end").contains("not supported"));
    assert!(parse_err("#foreach($i [1])#end").contains("`in`"));
    assert!(parse_err("#set($x = [1, 2)").contains("list without ]"));
    assert!(parse_err("#set($x = {'a' 1})").contains("expected :"));
    let deep = format!("{}x{}", "#if(true)".repeat(70), "#end".repeat(70));
    assert!(parse_err(&deep).contains("nested more than 64"));
    let deep = format!("#set($x = {}1{})", "(".repeat(100), ")".repeat(100));
    assert!(parse_err(&deep).contains("nested more than 64"));
    let deep = format!("#set($x = {}true)", "!".repeat(100));
    assert!(parse_err(&deep).contains("nested more than 64"));
    // Error columns count characters, not bytes.
    assert_eq!(parse_err("éé #end"), "line 1, column 4: #end without #if or #foreach");
}

#[test]
fn limits() {
    let c = Context::default();
    let l = Limits { max_steps: 1000, ..Default::default() };
    assert_eq!(render_err("#foreach($i in [1..1000])#foreach($j in [1..1000])x#end#end", &c, &l), RenderError::Steps(1000));
    let l = Limits { max_output: 10, ..Default::default() };
    assert_eq!(render_err("01234567890", &c, &l), RenderError::Output(10));
    assert_eq!(render_err("#set($s = 'aaaaaa')#set($t = \"$s$s\")", &c, &l), RenderError::Output(10));
    assert_eq!(render_err("#set($s = 'aaaaaa')$s.concat($s)", &c, &l), RenderError::Output(10));
    assert_eq!(render_err("#set($s = 'aaaaaa')$s.replace('a', 'bb')", &c, &l), RenderError::Output(10));
    assert_eq!(render_err("#set($s = 'aaaaaa')$s.replaceAll('', 'bb')", &c, &l), RenderError::Output(10));
    assert_eq!(render_err("#set($r = [1..10001])", &c, &Limits::default()), RenderError::Range(10_000));
    assert_eq!(render_err("#set($r = [-9223372036854775807..9223372036854775807])", &c, &Limits::default()), RenderError::Range(10_000));
    // Per-loop iterations stop quietly, as Velocity's maxloops does.
    let l = Limits { max_loop_iterations: 3, ..Default::default() };
    let t = Template::parse("#foreach($i in [1..10])$i#if($foreach.hasNext),#end#end").unwrap();
    assert_eq!(t.render(&c, &l).unwrap().body, "1,2,3");
    // A list that contains itself cannot be printed forever.
    assert_eq!(render_err("#set($l = [])#set($d = $l.add($l))$l", &c, &Limits::default()), RenderError::Depth(64));
    assert_eq!(render_err("#set($m = {})#set($d = $m.put('m', $m))$input.json('$') $m", &c, &Limits::default()), RenderError::Depth(64));
    // Lookups in a big map cost in proportion, so they cannot run for long.
    let mut body = String::from("{");
    for i in 0..50_000 {
        body.push_str(&format!("\"k{i}\":{i},"));
    }
    body.push_str("\"last\":0}");
    let t = Template::parse("#foreach($i in [1..1000])#foreach($j in [1..1000])$input.path('$').get('last')$input.path('$.last')#end#end")
        .unwrap();
    let started = std::time::Instant::now();
    assert_eq!(t.render(&ctx_with_body(&body), &Limits::default()), Err(RenderError::Steps(100_000)));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Doubling a string hits the output cap, not memory.
    let t = Template::parse("#set($s = 'ab')#foreach($i in [1..100])#set($s = \"$s$s\")#end").unwrap();
    assert_eq!(t.render(&c, &Limits::default()), Err(RenderError::Output(1 << 20)));
}

#[test]
fn templates_are_shared_between_threads_and_errors_say_where() {
    fn shared<T: Send + Sync>() {}
    shared::<Template>();
    let e = render_err("#set($l = [1])\n  $l.get(5)", &Context::default(), &Limits::default());
    assert_eq!(e.to_string(), "line 2, column 5: $l.get(): index 5 is out of range (length 1)");
    let e = render_err("#set($v = \"$util.parseJson('{')\")", &Context::default(), &Limits::default());
    assert!(e.to_string().starts_with("line 1, column 11: $util.parseJson(): not valid JSON"), "{e}");
}
