//! Property test: templates stitched at random from a soup of VTL tokens
//! (valid and broken) parse or fail cleanly, and those that parse render or
//! fail cleanly, within their limits. A tiny xorshift generator keeps it
//! deterministic without a dependency.

use super::*;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const TOKENS: &[&str] = &[
    "#set($x = ",
    "#set($l = [",
    "#set($m = {",
    "#set($m.k = ",
    "#set($l[0] = ",
    "#if(",
    "#elseif(",
    "#else",
    "#{else}",
    "#end",
    "#{end}",
    "#foreach($i in ",
    "#foreach($e in $l)",
    "#break",
    "#stop",
    "## c\n",
    "#* c *#",
    "#[[ raw ]]#",
    "#*",
    "*#",
    "#[[",
    "]]#",
    "#",
    "##",
    "$x",
    "$!x",
    "${x}",
    "$!{x}",
    "$l",
    "$m",
    "$i",
    "$e",
    "$foreach.hasNext",
    "$foreach.index",
    "$foreach.parent.count",
    "$velocityCount",
    "$input.body",
    "$input.json('$')",
    "$input.json('$.a')",
    "$input.json('$..b')",
    "$input.path('$.a')",
    "$input.path('$.l[*]')",
    "$input.path('$[",
    "$input.params()",
    "$input.params('p')",
    "$input.params().header.get('H')",
    "$util.escapeJavaScript($x)",
    "$util.parseJson($x)",
    "$util.parseJson('{\"a\":[1,{}]}')",
    "$util.urlEncode($x)",
    "$util.urlDecode($x)",
    "$util.base64Encode($x)",
    "$util.base64Decode($x)",
    "$context.requestId",
    "$context.responseOverride.status",
    "#set($context.responseOverride.status = ",
    "#set($context.responseOverride.header.H = ",
    "$stageVariables.s",
    "$x.substring(",
    "$x.charAt(",
    "$x.split(",
    "$x.replaceAll(",
    "$x.replace(",
    "$x.indexOf(",
    "$x.length()",
    "$x.toUpperCase()",
    "$x.concat($x)",
    "$x.matches(",
    "$l.add(",
    "$l.add($l)",
    "$l.get(",
    "$l.size()",
    "$l.remove(",
    "$m.put(",
    "$m.put('m', $m)",
    "$m.keySet()",
    "$m.entrySet()",
    "$m.get(",
    "$m.values()",
    "[1..",
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    ",",
    ":",
    "..",
    " = ",
    " + ",
    " - ",
    " * ",
    " / ",
    " % ",
    " == ",
    " != ",
    " < ",
    " >= ",
    " && ",
    " || ",
    "!",
    " and ",
    " not ",
    " eq ",
    "0",
    "1",
    "-1",
    "2147483647",
    "9223372036854775807",
    "-9223372036854775808",
    "1.5",
    "1e309",
    "0.0",
    "'s'",
    "'é😀'",
    "\"$x-$x\"",
    "\"a\"\"b\"",
    "'",
    "\"",
    "true",
    "false",
    "null",
    "\\$x",
    "\\#if",
    "\\",
    "$",
    "$!",
    "${",
    "text ",
    "\n",
    "    ",
    "é",
    "😀",
    "\u{0}",
    ")\n",
    "')",
    "', '",
    "'.*')",
    "'(')",
    "'a*')",
    "'')",
    "',')",
];

#[test]
fn random_templates_never_panic_and_finish() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let limits = Limits { max_steps: 20_000, max_output: 64 * 1024, max_loop_iterations: 50, max_range: 500, ..Default::default() };
    let mut ctx = Context {
        body: r#"{"a":{"b":[1,"x",{"b":null}]},"l":[1,2,3]}"#.into(),
        context: serde_json::json!({"requestId": "r", "identity": {"sourceIp": "1.2.3.4"}}),
        stage_variables: vec![("s".into(), "v".into())],
        ..Default::default()
    };
    ctx.params.header.push(("H".into(), "h".into()));
    ctx.params.querystring.push(("p".into(), "%zz".into()));
    let (mut parsed, mut rendered) = (0, 0);
    for round in 0..3000 {
        let n = 1 + rng.next() % 40;
        let mut src = String::new();
        for _ in 0..n {
            src.push_str(rng.pick(TOKENS));
        }
        // Some bodies are not JSON, to reach those errors too.
        ctx.body = if round % 7 == 0 { "{not json".into() } else { r#"{"a":{"b":[1,"x",{"b":null}]},"l":[1,2,3]}"#.into() };
        let Ok(t) = Template::parse(&src) else { continue };
        parsed += 1;
        let started = std::time::Instant::now();
        if let Ok(out) = t.render(&ctx, &limits) {
            rendered += 1;
            assert!(out.body.len() <= limits.max_output, "{src:?}");
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "slow: {src:?}");
    }
    // The soup must exercise both paths, not just fail to parse.
    eprintln!("parsed {parsed}, rendered {rendered}");
    assert!(parsed > 300 && rendered > 200, "parsed {parsed}, rendered {rendered}");
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(12345);
    let alphabet: Vec<char> = "#$!{}[]()'\".,:=+-*/%<>&|\\ \nabcfehinrstx0123456789é😀".chars().collect();
    for _ in 0..3000 {
        let n = rng.next() % 60;
        let src: String = (0..n).map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize]).collect();
        if let Ok(t) = Template::parse(&src) {
            let _ = t.render(&Context::default(), &Limits { max_steps: 5_000, ..Default::default() });
        }
    }
}

const EXPRS: &[&str] = &[
    "$x",
    "$l",
    "$m",
    "$i",
    "$e",
    "$missing",
    "1",
    "-7",
    "2.5",
    "'s'",
    "\"i$x\"",
    "[1..4]",
    "[3..-2]",
    "[]",
    "[1, 'a', $x]",
    "{}",
    "{'k': $x, 'l': [1]}",
    "$input.path('$')",
    "$input.path('$.a.b')",
    "$input.path('$..b')",
    "$input.json('$.l')",
    "$input.params()",
    "$input.params().header",
    "$m.keySet()",
    "$m.entrySet()",
    "$m.values()",
    "$l.size()",
    "$x.length()",
    "$x.split(',')",
    "$x.split('')",
    "$x.substring(1)",
    "$x.replaceAll('(.)', '$1$1')",
    "$x.concat($x)",
    "$util.parseJson($input.json('$.a'))",
    "$util.escapeJavaScript($x)",
    "$util.base64Decode($util.base64Encode($x))",
    "$context",
    "$context.responseOverride",
    "$foreach.index",
    "$velocityCount",
    "$l.add($x)",
    "$l.add($l)",
    "$m.put($x, $l)",
    "$m.put('self', $m)",
    "$l.get(0)",
    "$l.remove(0)",
    "$x.charAt(0)",
    "!$x",
    "$x == $l",
    "$x + 1",
    "$i * $i",
    "$i / 0",
    "$i % 2 == 0",
    "$x && $l || !$m",
    "($i + 1) * 2",
];

fn gen_block(rng: &mut Rng, depth: u32, out: &mut String) {
    for _ in 0..1 + rng.next() % 4 {
        match rng.next() % 9 {
            0 => out.push_str(rng.pick(&["text ", "\n", "  ", "{\"k\": ", "}, ", "é😀"])),
            1 | 2 => {
                let e = rng.pick(EXPRS);
                match e.strip_prefix('$') {
                    Some(rest) => {
                        out.push_str(rng.pick(&["$", "$!"]));
                        out.push_str(rest);
                    }
                    None => out.push_str(e),
                }
            }
            3 | 4 => {
                let var = rng.pick(&[
                    "$x",
                    "$l",
                    "$m",
                    "$m.k",
                    "$l[0]",
                    "$context.responseOverride.status",
                    "$context.responseOverride.header.H",
                ]);
                out.push_str(&format!("#set({var} = {})\n", rng.pick(EXPRS)));
            }
            5 if depth > 0 => {
                out.push_str(&format!("#if({})", rng.pick(EXPRS)));
                gen_block(rng, depth - 1, out);
                if rng.next().is_multiple_of(2) {
                    out.push_str(&format!("#elseif({})", rng.pick(EXPRS)));
                    gen_block(rng, depth - 1, out);
                }
                if rng.next().is_multiple_of(2) {
                    out.push_str("#else\n");
                    gen_block(rng, depth - 1, out);
                }
                out.push_str("#end\n");
            }
            6 | 7 if depth > 0 => {
                out.push_str(&format!("#foreach(${} in {})", rng.pick(&["i", "e", "x"]), rng.pick(EXPRS)));
                gen_block(rng, depth - 1, out);
                out.push_str(rng.pick(&["#if($foreach.hasNext),#end", "", "#break", "#if($i == 2)#break#end"]));
                out.push_str("#end\n");
            }
            _ => out.push_str(rng.pick(&["## c\n", "#* c *#", "#[[$raw]]#", "\\$x", "#stop"])),
        }
    }
}

#[test]
fn random_well_formed_templates_render_within_limits() {
    let mut rng = Rng(0xDEAD_BEEF_1234_5678);
    let limits = Limits { max_steps: 20_000, max_output: 64 * 1024, max_loop_iterations: 20, ..Default::default() };
    let ctx = Context {
        body: r#"{"a":{"b":[1,"x",{"b":null}]},"l":[1,2,3]}"#.into(),
        context: serde_json::json!({"requestId": "r"}),
        ..Default::default()
    };
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..3000 {
        let mut src = String::from("#set($x = 'a,b')#set($l = [1, 2])#set($m = {'k': 'v'})\n");
        gen_block(&mut rng, 3, &mut src);
        let t = Template::parse(&src).unwrap_or_else(|e| panic!("{e}: {src}"));
        let started = std::time::Instant::now();
        match t.render(&ctx, &limits) {
            Ok(out) => {
                ok += 1;
                assert!(out.body.len() <= limits.max_output);
            }
            Err(e) => {
                failed += 1;
                if std::env::var("VTL_FUZZ_SHOW").is_ok() {
                    eprintln!("{e}");
                }
            }
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "slow: {src:?}");
    }
    eprintln!("rendered {ok}, failed {failed}");
    assert!(ok > 1000 && failed > 10, "rendered {ok}, failed {failed}");
}
